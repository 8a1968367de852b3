import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { bisect } from '../src/bisect/coordinator.js'
import { bisectCommand as bisectWords, fixCommand as fixWords, replayCommand } from '../src/core/commands.js'
import { DEFAULT_BISECT_REPEAT } from '../src/core/defaults.js'
import { FlakeseedError } from '../src/core/errors.js'
import { visible } from '../src/core/format.js'
import type { Finding, RecordedTest } from '../src/core/model.js'
import { idOf } from '../src/core/names.js'
import { type Attempt, attemptFix, type VerifiedPatch } from '../src/fix-session/attempt.js'
import { PlanExecutor } from '../src/run/execute.js'
import { ProbeFiles } from '../src/run/probe-files.js'
import { location, recordedOrder, selectTests } from '../src/run/selection.js'
import { latestFindings, runsWhereTestPassed, saveFinding, type StoredFinding } from '../src/store/findings.js'
import type { RunRow } from '../src/store/index.js'
import { latestPatches, savePatch, type StoredPatch } from '../src/store/patches.js'
import { commandOptions, dbPath, EXIT, openHistory, openStore, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  test?: string
  apply?: boolean
  seeds: number
  config?: string
  /** `--no-bisect`: only the failures a stored finding explains (the in-job fix, after its bisect). */
  bisect: boolean
}

/** Seeds a patch is checked under besides the recorded one. */
const DEFAULT_SEEDS = 10

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('fix')
    .description('write the smallest patch that removes the cause of each failure of a run, verified without touching the project; --apply writes it')
    .argument('[run]', 'run id, or last (default: last)')
    .option('--test <test>', 'the failing test to fix (default: each failing test of the run)')
    .option('--apply', 'write the verified patch, only onto files byte-identical to what was verified')
    .option('--seeds <n>', 'seeds besides the recorded one under which every test of the files involved must pass', positiveInt, DEFAULT_SEEDS)
    .option('--no-bisect', 'only the failures a finding already explains: bisect none')
    .option('--config <path>', 'Vitest config file (default: the one the recorded run used)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((ref: string | undefined, options: Options) => action(() => fixRun(ref ?? 'last', options)))
}

interface RunFacts {
  run: RunRow
  order: RecordedTest[]
  victims: RecordedTest[]
  findings: Map<string, StoredFinding>
  patches: Map<string, StoredPatch>
  passing: Map<string, Array<{ results: RecordedTest[]; isolate: boolean }>>
}

export async function fixRun(ref: string, options: Options): Promise<number> {
  const facts = readRun(ref, options)
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
  const { root, config } = location(run, options.config)
  const protect = [dbPath(options)]
  // One Vitest instance for the bisects and every unpatched check, started when first needed.
  // As bisect does: what the recorded run wrote is the tests' (put back after each probe).
  const files = new ProbeFiles(root, protect, run.finishedAt === null ? [] : [{ from: run.startedAt, to: run.finishedAt }])
  let started: Promise<PlanExecutor> | undefined
  const baseline = () =>
    (started ??= PlanExecutor.create({
      root,
      config,
      seed: run.seed,
      kind: 'probe',
      db: false,
      isolate: run.isolate ?? undefined,
      quiet: true,
      protect,
      files,
    }))
  const attempts: Attempt[] = []
  const found: Finding[] = []
  try {
    for (const victim of victims) {
      const stored = usableFinding(facts, victim)
      if (!stored && !options.bisect) {
        attempts.push({ victim: idOf(victim), why: `not bisected yet: ${bisectWords(run.id, { test: idOf(victim), ...commandOptions(options) })}` })
        continue
      }
      const finding = stored ?? (await bisectVictim(facts, victim, await baseline(), files))
      if (!facts.findings.has(finding.victim)) found.push(finding)
      progress(options, `patching ${visible(finding.victim)}`)
      attempts.push(await attemptFix({ root, config, run, order: facts.order, finding, seeds: options.seeds, protect, baseline: await baseline() }))
    }
  } finally {
    if (started) await (await started).close()
  }
  save(options, run, found, attempts)
  const verified = attempts.flatMap((a) => ('patch' in a ? [a.patch] : []))
  const unpatched = attempts.flatMap((a) => ('why' in a ? [{ victim: a.victim, why: a.why }] : []))
  if (options.json) printJson({ patches: verified.map(jsonOf), unpatched })
  else print(run.id, verified, unpatched, options)
  if (options.apply && verified.length) {
    const code = applyPatches(
      verified.map((p) => ({ runId: run.id, edits: p.edits })),
      options,
      false,
    )
    if (code !== EXIT.ok) return code
  }
  return unpatched.length ? EXIT.found : EXIT.ok
}

function readRun(ref: string, options: Options): RunFacts {
  const store = openStore(options)
  try {
    const run = store.resolveRun(ref)
    const order = recordedOrder(store.results(run.id))
    const failed = order.filter((t) => t.state === 'failed')
    const victims = options.test ? selectTests(order, [options.test]).filter((t) => t.state === 'failed') : failed
    if (options.test && !victims.length) {
      const others = failed.length ? `; its failing tests: ${failed.map((t) => visible(idOf(t))).join(', ')}` : ''
      throw new FlakeseedError(`flakeseed: "${visible(options.test)}" did not fail in run ${run.id}${others}`)
    }
    const passing = new Map(
      victims.map((v) => [
        idOf(v),
        runsWhereTestPassed(store, idOf(v), run.id).map((id) => ({
          results: recordedOrder(store.results(id)),
          isolate: store.resolveRun(String(id)).isolate ?? true,
        })),
      ]),
    )
    return { run, order, victims, findings: latestFindings(store), patches: latestPatches(store, run.id), passing }
  } finally {
    store.close()
  }
}

/** A stored finding this run's order can replay: its culprits ran here, and what they left was diagnosed (an empty list: nothing seen). */
function usableFinding(facts: RunFacts, victim: RecordedTest): Finding | undefined {
  const stored = facts.findings.get(idOf(victim))
  if (!stored || (stored.kind !== 'victim' && stored.kind !== 'brittle')) return undefined
  const ids = new Set(facts.order.map(idOf))
  if (stored.kind === 'victim' && (!stored.leaks || !stored.polluters.every((p) => ids.has(p)))) return undefined
  return {
    victim: stored.victim,
    kind: stored.kind,
    polluters: stored.polluters,
    stateSetters: stored.stateSetters,
    cleaners: stored.cleaners,
    probes: stored.probes,
    leaks: stored.leaks,
    fix: stored.fix,
  }
}

/** Bisect first, as `bisect` does, on the same Vitest instance the patches' checks use. */
async function bisectVictim(facts: RunFacts, victim: RecordedTest, baseline: PlanExecutor, files: ProbeFiles): Promise<Finding> {
  files.learnNext()
  return bisect({
    victim: idOf(victim),
    failing: facts.order,
    isolate: facts.run.isolate ?? true,
    passing: facts.passing.get(idOf(victim)) ?? [],
    repeat: DEFAULT_BISECT_REPEAT,
    cleaners: false,
    diagnose: true,
    error: (victim as RecordedTest & { error?: string | null }).error ?? null,
    execute: (plan, diagnose) => baseline.run(plan, diagnose),
  })
}

/** New findings and verified patches go into the history: `flaky` and the report say "patch ready", `--apply` writes them. */
function save(options: Options, run: RunRow, found: readonly Finding[], attempts: readonly Attempt[]): void {
  try {
    const store = openHistory(dbPath(options))
    try {
      for (const f of found)
        if (!f.interrupted) saveFinding(store, run.id, f, replayCommand(run.id, { only: [...f.polluters, f.victim], ...commandOptions(options) }))
      for (const a of attempts) if ('patch' in a) savePatch(store, { runId: run.id, ...a.patch })
    } finally {
      store.close()
    }
  } catch (error) {
    process.stderr.write(`flakeseed: could not save the patches: ${(error as Error).message}\n`)
  }
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
    diff: p.diff,
    verified: p.verified,
    checks: p.checks,
    seconds: p.seconds,
  }
}

function print(runId: number, patches: readonly VerifiedPatch[], unpatched: ReadonlyArray<{ victim: string; why: string }>, options: Options): void {
  for (const p of patches) {
    console.log(`patch for ${visible(p.victim)}: ${p.summary}${p.lastResort ? ' (the last resort: the cause stays, every file runs alone)' : ''}`)
    process.stdout.write(p.diff.endsWith('\n') ? p.diff : `${p.diff}\n`)
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
function applyPatches(patches: ReadonlyArray<Pick<StoredPatch, 'edits' | 'runId'>>, options: Options, printed = true): number {
  const writes = new Map<string, { before: string; after: string; shown: string }>()
  const store = openStore(options)
  let root: string
  try {
    root = location(store.resolveRun(String(patches[0]!.runId))).root
  } finally {
    store.close()
  }
  for (const patch of patches)
    for (const edit of patch.edits) {
      const path = resolve(root, edit.path)
      const earlier = writes.get(path)
      if (earlier && (earlier.before !== edit.before || earlier.after !== edit.after))
        throw new FlakeseedError(`flakeseed: two patches change ${edit.path} differently; apply them one at a time with --test`)
      writes.set(path, { before: edit.before, after: edit.after, shown: edit.path })
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

function progress(options: Options, text: string): void {
  if (process.stderr.isTTY && !options.json) process.stderr.write(`\r\x1b[K${text}`)
}
