import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fixAllCommand, fixCommand as fixWords } from '../src/core/commands.js'
import { FlakeseedError } from '../src/core/errors.js'
import { visible } from '../src/core/format.js'
import { idOf } from '../src/core/names.js'
import { type FixAllResult, runFixAll } from '../src/fix-session/all.js'
import { changedInput } from '../src/fix-session/ready.js'
import type { VerifiedPatch } from '../src/fix-session/attempt.js'
import { readFixRun, runFixSession } from '../src/fix-session/session.js'
import { location } from '../src/run/selection.js'
import { mergeEdits } from '../src/fix/merge.js'
import { holdsSecret } from '../src/core/secrets.js'
import { ALL_VICTIMS, latestPatches, type StoredPatch, withheldPatches } from '../src/store/patches.js'
import { commandOptions, dbPath, EXIT, openStore, printJson, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  test?: string
  apply?: boolean
  seeds: number
  config?: string
  /** `--no-bisect`: only the failures a stored finding explains (the in-job fix, after its bisect). */
  bisect: boolean
  /** `--all`: every order-dependent test of the history's flaky list, one patch per polluter, verified together. */
  all?: boolean
}

export async function fixRun(ref: string, options: Options): Promise<number> {
  const session = {
    ref,
    db: dbPath(options),
    test: options.test,
    seeds: options.seeds,
    config: options.config,
    bisect: options.bisect,
    commands: commandOptions(options),
  }
  const facts = readFixRun(session)
  const { run, victims, patches } = facts
  if (!victims.length) {
    if (options.json) printJson({ patches: [], unpatched: [] })
    else console.log(`flakeseed: run ${run.id} has no failing test: nothing to fix`)
    return EXIT.ok
  }
  // Verified before: --apply writes what was verified, onto the bytes it was verified on.
  if (options.apply && victims.every((v) => patches.has(idOf(v))))
    return applyPatches(
      victims.map((v) => patches.get(idOf(v))!),
      options,
    )
  if (options.apply) sayWithheld(run.id, victims.map(idOf), options)
  const { patches: verified, unpatched } = await runFixSession(facts, {
    ...session,
    onProgress: (text) => progress(options, text),
    onNote: (line) => note(options, line),
  })
  if (options.json) printJson({ patches: verified.map(jsonOf), unpatched })
  else print(run.id, verified, unpatched, options)
  if (options.apply && verified.length) {
    const code = applyPatches(
      verified.map((p) => ({ runId: run.id, victim: p.victim, edits: p.edits, inputs: p.inputs })),
      options,
      false,
    )
    if (code !== EXIT.ok) return code
  }
  return unpatched.length ? EXIT.found : EXIT.ok
}

/**
 * `fix --all`: the history's flaky tests an order breaks, one patch per polluter, merged and
 * verified together; one diff, one apply line. `--apply` writes the stored combination when its
 * files hold the bytes it was verified on, else does it all again and writes what verifies.
 */
export async function fixAll(ref: string | undefined, options: Options): Promise<number> {
  if (ref !== undefined || options.test !== undefined)
    throw new FlakeseedError(`flakeseed: fix --all takes the history's flaky tests; give no run and no --test (or leave out --all)`)
  if (options.apply) {
    const stored = storedCombination(options)
    if (stored) return applyPatches([stored], options)
    sayWithheld(undefined, [ALL_VICTIMS], options)
  }
  const result = await runFixAll({
    db: dbPath(options),
    seeds: options.seeds,
    config: options.config,
    bisect: options.bisect,
    commands: commandOptions(options),
    onProgress: (text) => progress(options, text),
    onNote: (line) => note(options, line),
  })
  if (options.json) printJson(allJson(result))
  else printAll(result, options)
  if (options.apply && result.combined) {
    const code = applyPatches([{ runId: result.combined.runId, edits: result.combined.edits, inputs: result.combined.inputs }], options, false)
    if (code !== EXIT.ok) return code
  }
  return result.unpatched.length ? EXIT.found : EXIT.ok
}

/** `--apply` of a patch the history holds without its text (it may hold a secret): one line, then it is verified again. */
function sayWithheld(runId: number | undefined, victims: readonly string[], options: Options): void {
  const store = openStore(options)
  let withheld: Set<string>
  try {
    withheld = withheldPatches(store, runId)
  } finally {
    store.close()
  }
  const which = victims.filter((v) => withheld.has(v))
  if (!which.length) return
  const line = `flakeseed: ${which.length === 1 ? 'the patch was' : `the patches of ${which.length} tests were`} not stored (the file holds what looks like a secret): verifying it again\n`
  ;(options.json ? process.stderr : process.stdout).write(line)
}

/** The diff as printed: none when a line of it may hold a secret (`--apply` writes it all the same). */
function shownDiff(diff: string): string | null {
  return holdsSecret(diff) ? null : diff
}

const DIFF_NOT_SHOWN = '(the diff is not shown: lines in it look like they hold a secret; --apply writes it)'

function storedCombination(options: Options): StoredPatch | undefined {
  const store = openStore(options)
  try {
    return latestPatches(store).get(ALL_VICTIMS)
  } finally {
    store.close()
  }
}

function allJson(result: FixAllResult) {
  const c = result.combined
  return {
    patches: result.patches.map((p) => ({ ...jsonOf(p), victims: p.victims })),
    unpatched: result.unpatched,
    combined: c ? { files: c.files, diff: shownDiff(c.diff), verified: c.verified, checks: c.checks, seconds: c.seconds } : null,
  }
}

function printAll(result: FixAllResult, options: Options): void {
  if (!result.tests) {
    console.log('flakeseed: no flaky test of the history is order-dependent: nothing to fix')
    return
  }
  const c = result.combined
  for (const p of result.patches) {
    const more = p.victims.length > 1 ? ` (and ${p.victims.slice(1).map(visible).join(', ')})` : ''
    console.log(`patch for ${visible(p.victim)}${more}: ${p.summary}${p.lastResort ? ' (the last resort: the cause stays, every file runs alone)' : ''}`)
  }
  if (c) {
    printDiff(c.diff)
    console.log(`verified together: ${c.verified} (${c.seconds.toFixed(1)} s)`)
    if (!options.apply) console.log(`apply: ${fixAllCommand({ apply: true, ...commandOptions(options), config: options.config })}`)
    console.log('')
  }
  for (const u of result.unpatched) console.log(`unpatched ${visible(u.victim)}: ${u.why}`)
}

function jsonOf(p: VerifiedPatch) {
  return {
    victim: p.victim,
    polluters: p.polluters,
    stateSetters: p.stateSetters,
    leak: p.leak ?? null,
    remedy: p.summary,
    ...(p.lastResort ? { lastResort: true } : {}),
    files: p.files,
    diff: shownDiff(p.diff),
    verified: p.verified,
    checks: p.checks,
    seconds: p.seconds,
  }
}

function print(runId: number, patches: readonly VerifiedPatch[], unpatched: ReadonlyArray<{ victim: string; why: string }>, options: Options): void {
  // Victims of one polluter share its patch: it is printed once, for all of them.
  const groups = new Map<string, VerifiedPatch[]>()
  for (const p of patches) groups.set(p.diff, [...(groups.get(p.diff) ?? []), p])
  for (const [p, ...others] of groups.values() as Iterable<[VerifiedPatch, ...VerifiedPatch[]]>) {
    const more = others.length ? ` (and ${others.map((o) => visible(o.victim)).join(', ')})` : ''
    console.log(`patch for ${visible(p.victim)}${more}: ${p.summary}${p.lastResort ? ' (the last resort: the cause stays, every file runs alone)' : ''}`)
    printDiff(p.diff)
    console.log(`verified: ${p.verified} (${p.seconds.toFixed(1)} s)`)
    if (!options.apply) console.log(`apply: ${fixWords(runId, { test: options.test, apply: true, ...commandOptions(options), config: options.config })}`)
    console.log('')
  }
  for (const u of unpatched) console.log(`unpatched ${visible(u.victim)}: ${u.why}`)
}

/**
 * Writes the patches, only onto the bytes they were verified on: a file changed since is named in
 * one line and nothing is written. A file two patches change alike is written once.
 */
function applyPatches(patches: ReadonlyArray<Pick<StoredPatch, 'edits' | 'runId' | 'inputs'> & { victim?: string }>, options: Options, printed = true): number {
  const store = openStore(options)
  let root: string
  try {
    root = location(store.resolveRun(String(patches[0]!.runId))).root
  } finally {
    store.close()
  }
  // Patches of one run were verified together: edits to one file merge by position.
  const merged = mergeEdits(patches.map((p, k) => ({ name: p.victim ? visible(p.victim) : `patch ${k + 1}`, edits: p.edits })))
  if ('conflict' in merged) throw new FlakeseedError(`flakeseed: ${merged.conflict} with --test`)
  const writes = new Map(merged.edits.map((e) => [resolve(root, e.path), { before: e.before, after: e.after, shown: e.path }]))
  for (const patch of patches) {
    const changed = changedInput(root, patch.inputs)
    if (changed) throw new FlakeseedError(`flakeseed: ${changed} changed since the patch was verified (its check ran it); run fix again`)
  }
  for (const [path, edit] of writes) {
    let now: string | undefined
    try {
      now = readFileSync(path, 'utf8')
    } catch {}
    if (now !== edit.before) throw new FlakeseedError(`flakeseed: ${edit.shown} changed since the patch was verified; run fix again`)
  }
  for (const [path, edit] of writes) writeFileSync(path, edit.after)
  const wrote = [...writes.values()].map((e) => e.shown)
  if (options.json && printed) printJson({ wrote })
  else if (!options.json) for (const file of wrote) console.log(`wrote ${file}`)
  return EXIT.ok
}

function printDiff(diff: string): void {
  const shown = shownDiff(diff) ?? DIFF_NOT_SHOWN
  process.stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`)
}

function progress(options: Options, text: string): void {
  if (process.stderr.isTTY && !options.json) process.stderr.write(`\r\x1b[K${text}`)
}

/** A line that stays (files moved aside until the end), as bisect says it: on stderr, in a terminal or not. */
function note(options: Options, line: string): void {
  if (!options.json) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}flakeseed: ${line}\n`)
}
