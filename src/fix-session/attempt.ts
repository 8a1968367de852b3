// One finding's patch: the remedies `planPatches` offers, smallest first, each verified in turn
// (src/fix/verify.ts); the first that passes all three checks is the patch, else none and why.
import type { Finding, RecordedTest } from '../core/model.js'
import { idOf } from '../core/names.js'
import { planOf } from '../run/selection.js'
import type { PlanExecutor } from '../run/execute.js'
import { planPatches, unifiedDiff, type PatchOrigin, type Remedy } from '../fix/types.js'
import { type Checks, verifyPatch } from './verify.js'

export interface AttemptInput {
  root: string
  config?: string
  run: { id: number; seed: string; isolate: boolean | null }
  /** The run's results in executed order (the failing order is taken from it). */
  order: readonly RecordedTest[]
  finding: Finding
  seeds: number
  protect: string[]
  baseline: PlanExecutor
  signal?: AbortSignal
  /** Other victims of the same culprits (`fix --all`): their files are checked too. */
  alsoVictims?: readonly string[]
  /** Victims the other patches of a `fix --all` fix (their failures are theirs). */
  othersFix?: ReadonlySet<string>
  /** For a brittle test: its setters' leaks that break the run's other victims (`PatchInput.undo`). */
  undo?: readonly string[]
}

/** A verified patch, as `fix` prints it and stores it. */
export interface VerifiedPatch {
  victim: string
  polluters: string[]
  stateSetters: string[]
  /** The leak the patch undoes (`process.env.SHOP_CURRENCY`), when the diagnosis named one. */
  leak?: string
  kind: Remedy['kind']
  summary: string
  lastResort?: boolean
  files: string[]
  diff: string
  edits: Remedy['edits']
  /** What was checked, in one sentence. */
  verified: string
  checks: Checks
  /** sha256 of each file's bytes as verified (by path relative to the root). */
  hashes: Record<string, string>
  /** sha256 of the other files the checks ran (relative path → hex): `--apply` refuses when one changed. */
  inputs: Record<string, string>
  seconds: number
}

export type Attempt = { patch: VerifiedPatch } | { victim: string; why: string }

/** Why a finding that names no culprit gets no patch. */
const KIND_WHY: Record<Finding['kind'], string> = {
  victim: '',
  brittle: '',
  independent: 'it fails alone, and no earlier test makes it pass',
  nod: 'it is non-deterministic: the same order passed and failed',
  'not-reproduced': 'the failing order passed when run again',
}

export async function attemptFix(input: AttemptInput): Promise<Attempt> {
  const { finding } = input
  const started = Date.now()
  if (finding.kind !== 'victim' && finding.kind !== 'brittle') return { victim: finding.victim, why: `no patch: ${KIND_WHY[finding.kind]}` }
  const plan = await planPatches({
    root: input.root,
    finding,
    configFile: input.config,
    project: victimTest(input)?.project,
    origin: originOf(finding),
    undo: input.undo,
  })
  if ('none' in plan) return { victim: finding.victim, why: plan.none }
  const failing = failingPlan(input)
  const tried: string[] = []
  for (const remedy of plan.remedies) {
    if (input.signal?.aborted) break
    const verification = await verifyPatch({
      root: input.root,
      config: input.config,
      seed: input.run.seed,
      isolate: input.run.isolate ?? undefined,
      failing,
      victim: finding.victim,
      files: checkedFiles(input, remedy),
      edits: remedy.edits,
      seeds: input.seeds,
      protect: input.protect,
      baseline: input.baseline,
      signal: input.signal,
      othersFix: input.othersFix,
    })
    if (!verification.verified) {
      tried.push(`${remedy.summary}: ${verification.why}`)
      // The check itself could not fail: no remedy can be told apart from none.
      if (!verification.checks.failsWithout) break
      continue
    }
    const files = remedy.edits.map((e) => e.path)
    const checkedCount = checkedFiles(input, remedy).length
    return {
      patch: {
        victim: finding.victim,
        polluters: finding.polluters,
        stateSetters: finding.stateSetters,
        leak: finding.leaks?.find((l) => l.verified)?.what,
        kind: remedy.kind,
        summary: remedy.summary,
        ...(remedy.lastResort ? { lastResort: true } : {}),
        files,
        diff: unifiedDiff(remedy.edits),
        edits: remedy.edits,
        verified: `the failing order of run ${input.run.id} fails without it and passes with it; ${checkedCount} file${checkedCount === 1 ? '' : 's'} × ${verification.checks.seeds} seeds pass${otherCauses(verification.checks)}`,
        checks: verification.checks,
        hashes: Object.fromEntries(remedy.edits.map((e, k) => [e.path, Object.values(verification.hashes)[k]!])),
        inputs: verification.inputs,
        seconds: (Date.now() - started) / 1000,
      },
    }
  }
  return { victim: finding.victim, why: tried.length ? `no remedy verified: ${tried.join('; ')}` : 'interrupted' }
}

/** `, but for T, which fails under a seed without the patch too (another cause)`, when (c) saw such a test. */
export function otherCauses(checks: Checks): string {
  const ids = checks.failWithoutToo ?? []
  if (!ids.length) return ''
  return `, but for ${ids.join(', ')}, which fail${ids.length === 1 ? 's' : ''} under a seed without the patch too (another cause)`
}

function victimTest(input: AttemptInput): RecordedTest | undefined {
  return input.order.find((t) => idOf(t) === input.finding.victim)
}

/** The order that failed: the polluters and the victim as the run ran them; a brittle test alone. */
export function failingPlan(input: Pick<AttemptInput, 'order' | 'finding'>) {
  const wanted = new Set([input.finding.victim, ...(input.finding.kind === 'victim' ? input.finding.polluters : [])])
  return planOf(input.order.filter((t) => wanted.has(idOf(t))))
}

/** Every test of these must pass under each seed: the victims' files, the culprits' files and every patched test file. */
function checkedFiles(input: AttemptInput, remedy: Remedy): Array<{ project: string; file: string }> {
  return involvedFiles(
    input.order,
    [input.finding, ...(input.alsoVictims ?? []).map((victim) => ({ victim, polluters: [], stateSetters: [] }))],
    remedy.edits.map((e) => e.path),
  )
}

/** The files of the run's tests a check covers: those of the findings' victims and culprits, and every patched file. */
export function involvedFiles(
  order: readonly RecordedTest[],
  findings: ReadonlyArray<Pick<Finding, 'victim' | 'polluters' | 'stateSetters'>>,
  patched: readonly string[],
): Array<{ project: string; file: string }> {
  const ids = new Set(findings.flatMap((f) => [f.victim, ...f.polluters, ...f.stateSetters]))
  const paths = new Set(patched)
  const files = new Map<string, { project: string; file: string }>()
  for (const t of order) if (ids.has(idOf(t)) || paths.has(t.file)) files.set(`${t.project}\u0000${t.file}`, { project: t.project, file: t.file })
  return [...files.values()]
}

/** How the state was changed, as far as the stored fix tells: a config switch for stubs says they were stubs. */
function originOf(finding: Finding): PatchOrigin {
  const config = finding.fix?.config ?? {}
  const names = (prefix: string) => (finding.leaks ?? []).filter((l) => l.what.startsWith(prefix)).map((l) => l.what.slice(prefix.length))
  return {
    stubbedEnv: config.unstubEnvs ? names('process.env.') : [],
    stubbedGlobal: config.unstubGlobals ? names('globalThis.') : [],
  }
}
