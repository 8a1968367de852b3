// Proves a patch without writing it: the patched sources are served to Vite from memory (the
// plugin's `load` hook, `Control.sources`), a patched Vitest config is loaded from a file beside
// the original for the time of the check. A patch is verified when (a) the failing order fails
// without it, (b) passes with it, and (c) every test of the files involved passes with it under
// the recorded seed and N more (docs/ARCHITECTURE.md, "Patches").
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path'
import { FlakeseedError } from '../core/errors.js'
import { testId, toPosix } from '../core/names.js'
import type { Plan } from '../core/order.js'
import { insideProject, localInputs } from '../fix/inputs.js'
import { PlanExecutor, type PlanResult } from '../run/execute.js'

/** One file's change: `before` is the text the patch was written against (FileEdit in src/fix/types.ts). */
export interface PatchEdit {
  /** Relative to the project root (`/`-separated), or absolute. */
  path: string
  before: string
  after: string
}

export interface VerifyInput {
  root: string
  /** The config file the run loaded (absolute), undefined for Vitest's own lookup. */
  config?: string
  /** The recorded run's seed and isolation. */
  seed: string
  isolate?: boolean
  /** The order that failed: the culprits and the victim (the victim alone for a brittle test). */
  failing: Plan
  /** The victim's test id. */
  victim: string
  /** The files whose every test must pass: each patched test file and the victim's. */
  files: ReadonlyArray<{ project: string; file: string }>
  edits: readonly PatchEdit[]
  /** Seeds checked besides the recorded one. */
  seeds: number
  /** Files a probe must never touch (the history DB). */
  protect: string[]
  /** Victims another patch of the same `fix --all` fixes: their failures under (c) count against that one, not this. */
  othersFix?: ReadonlySet<string>
  /** The unpatched instance, shared by the checks of every remedy (created when absent). */
  baseline?: PlanExecutor
  signal?: AbortSignal
}

export interface Checks {
  /** (a) The failing order failed without the patch. */
  failsWithout: boolean
  /** (b) It passed with the patch. */
  passesWith: boolean
  /** (c) Seeds the files passed under, the recorded one included. */
  seeds: number
  /** Tests that passed under every one of them. */
  tests: number
  /** Tests of the files that failed under a seed with the patch and without it alike: another cause's, not held against it. */
  failWithoutToo?: string[]
}

export interface Verification {
  verified: boolean
  checks: Checks
  /** Why it is not verified, in one sentence. */
  why?: string
  /** sha256 of every patched file's bytes as verified (absolute path → hex): `--apply` writes onto these only. */
  hashes: Record<string, string>
  /**
   * sha256 of every other file the checks ran, as they were when they started (path relative to the
   * root → hex): the test files, the config and the project files they import (src/fix/inputs.ts).
   * `--apply` refuses when one changed.
   */
  inputs: Record<string, string>
  seconds: number
  /** The seeds that were checked, the recorded one first. */
  seedList: string[]
}

/** The seeds after the recorded one: the next numbers for a number, `seed+k` for a string. */
export function otherSeeds(seed: string, n: number): string[] {
  const numeric = /^\d{1,15}$/.test(seed)
  return Array.from({ length: n }, (_, k) => (numeric ? String(Number(seed) + k + 1) : `${seed}+${k + 1}`))
}

export function sha256(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A Vitest or Vite config file: loaded by Vite's config loader, never through a plugin. */
const CONFIG_FILE = /^(?:vitest|vite)\.(?:config|workspace)(?:\.[\w-]+)?\.[cm]?[jt]s$/

export function absoluteEdit(root: string, edit: PatchEdit): string {
  return isAbsolute(edit.path) ? edit.path : resolve(root, edit.path)
}

/** Runs the three checks; the first that fails ends them with its reason. */
export async function verifyPatch(input: VerifyInput): Promise<Verification> {
  const { checks, seedList, done, changed, loaded } = startChecks(input)
  if (changed) return done(changed)
  const config = patchedConfig(input)
  if (typeof config === 'object' && 'why' in config) return done(config.why)
  const baseline = input.baseline ?? (await executor(input, undefined, undefined, loaded))
  let patched: PlanExecutor | undefined
  try {
    const before = await baseline.run(input.failing)
    checks.failsWithout = before.states.get(input.victim) === 'failed'
    if (!checks.failsWithout) return done('the failing order did not fail without the patch, so this check could not tell')
    if (input.signal?.aborted) return done('interrupted')
    patched = await executor(input, sources(input), config?.path, loaded)
    const after = await patched.run(input.failing)
    const broken = firstFailure(after)
    checks.passesWith = after.states.get(input.victim) === 'passed' && !broken
    if (!checks.passesWith) return done(`with the patch, the failing order still fails${broken ? ` (${broken})` : ''}`)
    return done(await seedChecks(patched, { ...input, baseline, own: new Set(idsOf(input.failing)) }, seedList, checks))
  } finally {
    if (patched) await patched.close()
    if (!input.baseline) await baseline.close()
    if (config?.path) rmSync(config.path, { force: true })
  }
}

/** `fix --all`: several victims' failing orders, each with the unpatched instance of its run. */
export interface TogetherInput extends Omit<VerifyInput, 'failing' | 'victim' | 'baseline'> {
  orders: ReadonlyArray<{ failing: Plan; victim: string; baseline: PlanExecutor }>
}

/**
 * The three checks for a combination of patches: (a) every victim's failing order fails on its
 * run's unpatched instance, (b) each passes with the combination, (c) every test of the files
 * involved passes with it under the seed and N more.
 */
export async function verifyTogether(input: TogetherInput): Promise<Verification> {
  const { checks, seedList, done, changed, loaded } = startChecks(input)
  if (changed) return done(changed)
  for (const order of input.orders) {
    const before = await order.baseline.run(order.failing)
    if (before.states.get(order.victim) !== 'failed')
      return done(`the failing order of ${order.victim} did not fail without the patch, so this check could not tell`)
  }
  checks.failsWithout = true
  const config = patchedConfig(input)
  if (typeof config === 'object' && 'why' in config) return done(config.why)
  let patched: PlanExecutor | undefined
  try {
    patched = await executor(input, sources(input), config?.path, loaded)
    for (const order of input.orders) {
      if (input.signal?.aborted) return done('interrupted')
      const after = await patched.run(order.failing)
      const broken = firstFailure(after)
      if (after.states.get(order.victim) !== 'passed' || broken)
        return done(`with the patch, the failing order of ${order.victim} still fails${broken ? ` (${broken})` : ''}`)
    }
    checks.passesWith = true
    const own = new Set(input.orders.flatMap((o) => idsOf(o.failing)))
    return done(await seedChecks(patched, { ...input, baseline: input.orders[0]?.baseline, own }, seedList, checks))
  } finally {
    if (patched) await patched.close()
    if (config?.path) rmSync(config.path, { force: true })
  }
}

/**
 * What both verifications start with: empty checks, the seeds, the hashes of the patched files
 * (`changed` says which one differs from the edit's bytes) and of the files the checks run.
 */
function startChecks(input: Pick<VerifyInput, 'root' | 'config' | 'files' | 'edits' | 'seed' | 'seeds'>) {
  const started = Date.now()
  const checks: Checks = { failsWithout: false, passesWith: false, seeds: 0, tests: 0 }
  const seedList = [input.seed, ...otherSeeds(input.seed, input.seeds)]
  const hashes: Record<string, string> = {}
  const inputs = inputHashes(input)
  const done = (why?: string): Verification => ({ verified: !why, checks, why, hashes, inputs, seconds: (Date.now() - started) / 1000, seedList })
  return { checks, seedList, done, changed: hashEdits(input, hashes), loaded: loadedInputs(input, inputs) }
}

/**
 * A module the checks' Vite loaded (`Control.onLoad`), resolved as the run resolves it (aliases,
 * tsconfig paths, setup files), hashed once as it is when first loaded: a project file outside
 * node_modules that no import a parser can follow reached (the static list is hashed at the start).
 */
function loadedInputs(input: Pick<VerifyInput, 'root' | 'edits'>, inputs: Record<string, string>): (path: string) => void {
  const patched = new Set(input.edits.map((e) => absoluteEdit(input.root, e)))
  return (path) => {
    const absolute = resolve(path)
    const rel = relativeTo(input.root, absolute)
    if (rel in inputs || patched.has(absolute) || !insideProject(input.root, absolute)) return
    try {
      inputs[rel] = sha256(readFileSync(absolute))
    } catch {}
  }
}

/** The hashes of what the checks run besides the patched files: the test files, the config, what they import. */
function inputHashes(input: Pick<VerifyInput, 'root' | 'config' | 'files' | 'edits'>): Record<string, string> {
  const patched = new Set(input.edits.map((e) => absoluteEdit(input.root, e)))
  const config = input.config ?? defaultConfig(input.root)
  const starts = [...input.files.map((f) => resolve(input.root, f.file)), ...(config ? [config] : [])]
  const hashes: Record<string, string> = {}
  for (const path of localInputs(input.root, starts).sort()) {
    if (patched.has(path)) continue
    try {
      hashes[relativeTo(input.root, path)] = sha256(readFileSync(path))
    } catch {}
  }
  return hashes
}

/** Why a patched file's bytes are not what the patch was written against; else their hashes go into `hashes`. */
function hashEdits(input: Pick<VerifyInput, 'root' | 'edits'>, hashes: Record<string, string>): string | undefined {
  for (const edit of input.edits) {
    const path = absoluteEdit(input.root, edit)
    const bytes = existsSync(path) ? readFileSync(path) : undefined
    if (!bytes || bytes.toString('utf8') !== edit.before) return `${relativeTo(input.root, path)} changed since the patch was written`
    hashes[path] = sha256(bytes)
  }
  return undefined
}

/** What (c) needs besides the patched instance. */
interface SeedInput extends Pick<VerifyInput, 'files' | 'signal' | 'othersFix'> {
  /** The unpatched instance: a test that fails under a seed without the patch too has another cause. */
  baseline?: PlanExecutor
  /** Tests whose failure is always the patch's: the victims and their culprits. */
  own: ReadonlySet<string>
}

/**
 * (c): every test of the files passes under each seed; why not, else undefined. A test (not the
 * victim's, not a culprit) that fails with the patch and, under the same seed, without it too, is
 * another cause's: it is named in `checks.failWithoutToo`, not held against the patch.
 */
async function seedChecks(patched: PlanExecutor, input: SeedInput, seedList: readonly string[], checks: Checks): Promise<string | undefined> {
  const passing = new Set<string>()
  const others = new Set<string>()
  for (const seed of seedList) {
    if (input.signal?.aborted) return 'interrupted'
    const result = await patched.runFiles(input.files, seed)
    const failure = firstFailure(result, input.othersFix)
    if (failure && !(await failsWithoutToo(result, input, seed, others))) return `with the patch, ${failure} under seed ${seed}`
    for (const [id, state] of result.states) if (state === 'passed') passing.add(id)
    checks.seeds++
  }
  checks.tests = passing.size
  if (others.size) checks.failWithoutToo = [...others]
  return undefined
}

/** Whether every failure of the patched run is a test of no culprit that fails under the same seed without the patch. */
async function failsWithoutToo(result: PlanResult, input: SeedInput, seed: string, others: Set<string>): Promise<boolean> {
  const failed = [...result.states].filter(([id, state]) => state === 'failed' && !input.othersFix?.has(id)).map(([id]) => id)
  if (!input.baseline || result.unhandled || result.missing.length || failed.some((id) => input.own.has(id))) return false
  const without = await input.baseline.runFiles(input.files, seed)
  if (!failed.every((id) => without.states.get(id) === 'failed')) return false
  for (const id of failed) others.add(id)
  return true
}

/** The tests of a plan, by id. */
function idsOf(plan: Plan): string[] {
  return plan.files.flatMap((f) => f.tests.map((name) => testId(f.project, f.file, name)))
}

function executor(
  input: Omit<VerifyInput, 'failing' | 'victim'>,
  served: ReadonlyMap<string, string> | undefined,
  config: string | undefined,
  onLoad: (path: string) => void,
): Promise<PlanExecutor> {
  return PlanExecutor.create({
    root: input.root,
    config: config ?? input.config,
    seed: input.seed,
    kind: 'probe',
    db: false,
    // A patched config says its own isolation (the remedy may be `isolate: true`).
    isolate: config ? undefined : input.isolate,
    quiet: true,
    protect: config ? [...input.protect, config] : input.protect,
    sources: served,
    onLoad,
  })
}

/** The patched sources Vite is served, by absolute `/`-separated path (config files are loaded otherwise). */
function sources(input: Pick<VerifyInput, 'root' | 'edits'>): Map<string, string> {
  const map = new Map<string, string>()
  for (const edit of input.edits) {
    const path = absoluteEdit(input.root, edit)
    if (!CONFIG_FILE.test(basename(path))) map.set(toPosix(path), edit.after)
  }
  return map
}

/**
 * A patched config, written beside the original (its relative imports resolve the same) under a
 * name no one uses, for as long as the check runs. Only the config the run loaded can be
 * swapped this way; a patch to another config file is not verified.
 */
function patchedConfig(input: Pick<VerifyInput, 'root' | 'edits' | 'config'>): { path: string } | { why: string } | undefined {
  const configs = input.edits.filter((e) => CONFIG_FILE.test(basename(absoluteEdit(input.root, e))))
  if (!configs.length) return undefined
  const loaded = input.config ?? defaultConfig(input.root)
  const edit = configs.find((e) => absoluteEdit(input.root, e) === loaded)
  if (configs.length > 1 || !edit || !loaded) {
    const other = configs.find((e) => absoluteEdit(input.root, e) !== loaded) ?? configs[0]!
    return { why: `the patch changes ${relativeTo(input.root, absoluteEdit(input.root, other))}, which is not the config the run loaded` }
  }
  const ext = extname(loaded)
  const path = join(dirname(loaded), `${basename(loaded, ext)}.flakeseed-fix-${process.pid}${ext}`)
  if (existsSync(path)) throw new FlakeseedError(`flakeseed: ${path} exists; remove it (a fix that was killed left it)`)
  writeFileSync(path, edit.after)
  const remove = () => rmSync(path, { force: true })
  process.once('exit', remove)
  return { path }
}

/** The config file Vitest finds in the root by itself (its lookup order). */
function defaultConfig(root: string): string | undefined {
  for (const name of ['vitest.config', 'vite.config'])
    for (const ext of ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']) {
      const path = join(root, name + ext)
      if (existsSync(path)) return path
    }
  return undefined
}

/** The first thing that failed: a test (with its error), a file that did not load, a test gone. */
function firstFailure(result: PlanResult, othersFix?: ReadonlySet<string>): string | undefined {
  for (const [id, state] of result.states) if (state === 'failed' && !othersFix?.has(id)) return `${id} fails: ${result.errors.get(id) ?? ''}`.trim()
  if (result.unhandled) return `${result.unhandled} error${result.unhandled === 1 ? '' : 's'} outside tests`
  if (result.missing.length) return `${result.missing[0]} did not run`
  return undefined
}

function relativeTo(root: string, path: string): string {
  return toPosix(relative(root, path))
}
