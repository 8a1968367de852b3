// One `flakeseed fix` over a run, as a library: its failing tests, a finding for each (the stored
// one when this run's order can replay it, else a bisect on the same Vitest instance), then a
// verified patch or why none (src/fix-session/attempt.ts). The CLI (cli/fix.ts) prints and applies;
// the in-job fix (src/fix-session/child.ts) sends the patches back to the reporter.
import { bisect } from '../bisect/coordinator.js'
import { bisectCommand, type CommandOptions, fixCommand, replayCommand } from '../core/commands.js'
import { DEFAULT_BISECT_REPEAT } from '../core/defaults.js'
import { FlakeseedError } from '../core/errors.js'
import { plural, visible } from '../core/format.js'
import type { Finding, RecordedTest } from '../core/model.js'
import { idOf } from '../core/names.js'
import { PlanExecutor } from '../run/execute.js'
import { ProbeFiles } from '../run/probe-files.js'
import { asideLines, changedNote, leftSince, moveAside, type RecordedLeft } from '../run/leftovers.js'
import { location, recordedOrder, selectTests } from '../run/selection.js'
import { latestFindings, runsWhereTestPassed, saveFinding, type StoredFinding } from '../store/findings.js'
import { type RunRow, Store } from '../store/index.js'
import { latestPatches, savePatch, type StoredPatch } from '../store/patches.js'
import { type Attempt, attemptFix, failingPlan, involvedFiles, otherCauses, type VerifiedPatch } from './attempt.js'
import { verifyTogether } from './verify.js'
import { mergeEdits } from '../fix/merge.js'
import { brittleFirst, setterPatch, undoFor } from './setters.js'

export interface FixSessionOptions {
  ref: string
  /** The history DB (absolute). */
  db: string
  /** One failing test (default: each failing test of the run). */
  test?: string
  /** Seeds besides the recorded one. */
  seeds: number
  config?: string
  /** false: only the failures a stored finding explains. */
  bisect: boolean
  /** What printed commands share (`--db`, the launcher). */
  commands: CommandOptions
  /** What it is doing now (a line the next one replaces). */
  onProgress?(text: string): void
  /** A line that stays: files recorded runs left, moved aside until the end. */
  onNote?(line: string): void
}

export interface RunFacts {
  run: RunRow
  order: RecordedTest[]
  victims: RecordedTest[]
  findings: Map<string, StoredFinding>
  /** The run's stored verified patches, per victim. */
  patches: Map<string, StoredPatch>
  passing: Map<string, Array<{ results: RecordedTest[]; isolate: boolean }>>
  /** The files the run's tests, and later recorded runs', created and left: moved aside while the probes run (src/run/leftovers.ts). */
  left?: RecordedLeft[]
}

export interface FixResult {
  patches: VerifiedPatch[]
  unpatched: Array<{ victim: string; why: string }>
}

/** The run, its failing tests (or the one asked for: bad input when it did not fail), and what the history knows of them. */
export function readFixRun(options: Pick<FixSessionOptions, 'ref' | 'db' | 'test'>): RunFacts {
  const store = Store.open(options.db, { readonly: true })
  try {
    const run = store.resolveRun(options.ref)
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
    return { run, order, victims, findings: latestFindings(store), patches: latestPatches(store, run.id), passing, left: leftSince(store, [run]) }
  } finally {
    store.close()
  }
}

/** A finding and a verified patch (or why none) for each failing test; findings and patches are stored. */
export async function runFixSession(facts: RunFacts, options: FixSessionOptions): Promise<FixResult> {
  const { run } = facts
  const { root, config } = location(run, options.config)
  const protect = [options.db]
  // As bisect does: what the run's tests left is out of the way until the end.
  const aside = moveAside(root, facts.left ?? [], { signals: true })
  for (const line of asideLines(aside.moved, [], { runs: aside.runs, target: run.id })) options.onNote?.(line)
  // As bisect does: what the probes' tests write is put back after each probe.
  const files = new ProbeFiles(root, protect)
  // One Vitest instance for the bisects and every unpatched check, started when first needed.
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
  const findings = new Map<string, Finding>()
  // A victim that took another's patch (same polluters) → that victim.
  const shared = new Map<string, string>()
  // Victims whose finding was only checked against another's polluters (checkedFinding).
  const checked = new Set<string>()
  try {
    const entries: Array<{ finding?: Finding; attempt?: Attempt }> = []
    for (const victim of facts.victims) {
      const usable = usableFinding(facts, victim)
      const stored = usable ?? checkedFinding(facts, victim)
      if (stored && !usable) checked.add(stored.victim)
      if (!stored && !options.bisect) {
        entries.push({ attempt: { victim: idOf(victim), why: `not bisected yet: ${bisectCommand(run.id, { test: idOf(victim), ...options.commands })}` } })
        continue
      }
      const finding = stored ?? (await bisectOrWhy(facts, victim, await baseline()))
      if ('why' in finding) {
        entries.push({ attempt: finding })
        continue
      }
      if (!stored) found.push(finding)
      findings.set(finding.victim, finding)
      entries.push({ finding })
    }
    if (findings.size)
      await patchFindings(facts, entries, findings, { root, config, protect, seeds: options.seeds, baseline: await baseline() }, shared, options)
    attempts.push(...entries.map((e) => e.attempt!))
    if (attempts.filter((a) => 'patch' in a).length > 1) {
      options.onProgress?.('verifying the patches together')
      attempts.splice(
        0,
        attempts.length,
        ...(await verifyRunTogether(facts, attempts, findings, { root, config, protect, seeds: options.seeds, baseline: await baseline(), shared })),
      )
    }
  } finally {
    if (started) await (await started).close()
    // Rare, and it names where a file of the run is: said whatever the format (progress is a terminal's only).
    for (const line of asideLines([], aside.putBack())) process.stderr.write(`flakeseed: ${line}\n`)
  }
  save(options, run, found, attempts)
  const changed = changedNote(aside.changed)
  // A victim only checked against another's polluters had no leak of its own diagnosed: when the
  // shared patch does not fix it, its own bisect, then a fix of it alone, is the way to its own patch.
  const own = (a: { victim: string; why: string }) => {
    if (!checked.has(a.victim)) return a.why
    const test = { test: a.victim, ...options.commands }
    return `${a.why}; it was checked against another victim's polluters, not bisected: ${bisectCommand(run.id, test)} diagnoses its own leak, then ${fixCommand(run.id, test)} tries a patch of its own`
  }
  return {
    patches: attempts.flatMap((a) => ('patch' in a ? [a.patch] : [])),
    unpatched: attempts.flatMap((a) => ('why' in a ? [{ victim: a.victim, why: changed ? `${own(a)}; ${changed}` : own(a) }] : [])),
  }
}

interface TogetherContext {
  root: string
  config?: string
  protect: string[]
  seeds: number
  baseline: PlanExecutor
  /** A victim that took another's patch (same polluters) → that victim. */
  shared: ReadonlyMap<string, string>
}

/**
 * Each finding's patch (or why none), brittle tests first: a brittle test's patch may restore what
 * its setter breaks for the run's victims, and those victims then take it (src/fix-session/setters.ts).
 */
async function patchFindings(
  facts: RunFacts,
  entries: Array<{ finding?: Finding; attempt?: Attempt }>,
  findings: ReadonlyMap<string, Finding>,
  ctx: { root: string; config?: string; protect: string[]; seeds: number; baseline: PlanExecutor },
  shared: Map<string, string>,
  options: Pick<FixSessionOptions, 'onProgress'>,
): Promise<void> {
  const done: Attempt[] = []
  const undone = new Map<string, string[]>()
  // Diagnosed victims before those only checked against their polluters (checkedFinding): those take their patch.
  const diagnosedFirst = [...entries.filter((e) => e.finding?.leaks), ...entries.filter((e) => !e.finding?.leaks)]
  for (const entry of brittleFirst(diagnosedFirst)) {
    const { finding } = entry
    if (!finding) continue
    // A victim of the same polluters as one already patched takes that patch; the combination's
    // checks below run its failing order too, so it is verified all the same (redux-toolkit: one
    // test's fake timers broke eight others, one patch). So does a victim of a brittle test's
    // setter whose patch restores what broke it (yup's setLocale).
    const polluters = sharedPatch(done, findings, finding)
    const same = polluters ?? setterPatch(done, findings, finding, undone, facts.order)
    if (same) {
      // Same polluters: checked on its own failing order if the combination fails (verifyRunTogether).
      if (polluters) shared.set(finding.victim, polluters.victim)
      const leak = finding.leaks?.find((l) => l.verified)?.what ?? same.leak
      entry.attempt = { patch: { ...same, victim: finding.victim, polluters: finding.polluters, stateSetters: finding.stateSetters, leak, seconds: 0 } }
      done.push(entry.attempt)
      continue
    }
    options.onProgress?.(`patching ${visible(finding.victim)}`)
    // The run's other failures are theirs to fix: the combination is verified below.
    const othersFix = facts.victims.length > 1 ? new Set(facts.victims.map(idOf).filter((id) => id !== finding.victim)) : undefined
    const undo = undoFor(finding, [...findings.values()], facts.order)
    if (undo.length) undone.set(finding.victim, undo)
    entry.attempt = await attemptFix({ ...ctx, run: facts.run, order: facts.order, finding, othersFix, ...(undo.length ? { undo } : {}) })
    done.push(entry.attempt)
  }
}

/**
 * A run's patches, each verified with the run's other failures left to theirs, verified as one.
 * When the combination fails and some victims took the patch of another victim of their polluters,
 * each of them is checked on its own failing order and the seeds: those it does not fix say why,
 * and the rest are checked together again. Otherwise none is claimed and each victim says why.
 */
async function verifyRunTogether(
  facts: RunFacts,
  attempts: readonly Attempt[],
  findings: ReadonlyMap<string, Finding>,
  ctx: TogetherContext,
): Promise<Attempt[]> {
  const together = await checkTogether(facts, attempts, findings, ctx)
  if (!('why' in together)) return together.attempts
  const retried = await retryShared(facts, attempts, findings, ctx)
  if (!retried) return failAll(attempts, together.why)
  if (retried.filter((a) => 'patch' in a).length <= 1) return retried
  const again = await checkTogether(facts, retried, findings, ctx)
  return 'why' in again ? failAll(retried, again.why) : again.attempts
}

/** Every patch unclaimed: the combination failed. */
function failAll(attempts: readonly Attempt[], why: string): Attempt[] {
  return attempts.map((a) => ('patch' in a ? { victim: a.patch.victim, why: `the run's patches together: ${why}` } : a))
}

/**
 * The combination's check: merged by position, every patched victim's failing order fails without
 * them and passes with them, and every file involved passes under the seeds. Each patch then says so.
 */
async function checkTogether(
  facts: RunFacts,
  attempts: readonly Attempt[],
  findings: ReadonlyMap<string, Finding>,
  ctx: TogetherContext,
): Promise<{ attempts: Attempt[] } | { why: string }> {
  const patches = attempts.flatMap((a) => ('patch' in a ? [a.patch] : []))
  const merged = mergeEdits(patches.map((p) => ({ name: visible(p.victim), edits: p.edits })))
  if ('conflict' in merged) return { why: merged.conflict }
  const patched = patches.map((p) => findings.get(p.victim)!)
  const files = involvedFiles(
    facts.order,
    patched,
    merged.edits.map((e) => e.path),
  )
  const v = await verifyTogether({
    root: ctx.root,
    config: ctx.config,
    seed: facts.run.seed,
    isolate: facts.run.isolate ?? undefined,
    orders: patched.map((finding) => ({ failing: failingPlan({ order: facts.order, finding }), victim: finding.victim, baseline: ctx.baseline })),
    files,
    edits: merged.edits,
    seeds: ctx.seeds,
    protect: ctx.protect,
  })
  if (!v.verified) return { why: v.why ?? 'not verified' }
  // Victims of one polluter share one patch: count the patches, not the victims.
  const distinct = new Set(patches.map((p) => p.diff)).size
  return {
    attempts: attempts.map((a) =>
      'patch' in a
        ? {
            patch: {
              ...a.patch,
              verified: `${togetherWords(facts.run.id, a.patch, patches, distinct)}; together ${plural(files.length, 'file')} × ${v.checks.seeds} seeds pass${otherCauses(v.checks)}`,
              checks: { ...v.checks },
              inputs: { ...a.patch.inputs, ...v.inputs },
            },
          }
        : a,
    ),
  }
}

/**
 * Each victim that took another's patch, checked with it on its own failing order and the seeds
 * (the run's other failures left to theirs): those it does not fix say why. Undefined when it
 * fixes every one of them (the combination failed for another reason).
 */
async function retryShared(
  facts: RunFacts,
  attempts: readonly Attempt[],
  findings: ReadonlyMap<string, Finding>,
  ctx: TogetherContext,
): Promise<Attempt[] | undefined> {
  let dropped = false
  const out: Attempt[] = []
  for (const a of attempts) {
    const owner = 'patch' in a ? ctx.shared.get(a.patch.victim) : undefined
    if (!('patch' in a) || owner === undefined) {
      out.push(a)
      continue
    }
    const finding = findings.get(a.patch.victim)!
    const v = await verifyTogether({
      root: ctx.root,
      config: ctx.config,
      seed: facts.run.seed,
      isolate: facts.run.isolate ?? undefined,
      orders: [{ failing: failingPlan({ order: facts.order, finding }), victim: finding.victim, baseline: ctx.baseline }],
      files: involvedFiles(
        facts.order,
        [finding],
        a.patch.edits.map((e) => e.path),
      ),
      edits: a.patch.edits,
      seeds: ctx.seeds,
      protect: ctx.protect,
      othersFix: new Set(facts.victims.map(idOf).filter((id) => id !== finding.victim)),
    })
    if (v.verified) out.push(a)
    else {
      dropped = true
      out.push({ victim: a.patch.victim, why: `the patch for ${visible(owner)}, a victim of the same polluters, does not fix it: ${v.why ?? 'not verified'}` })
    }
  }
  return dropped ? out : undefined
}

/** What the combination's check established for one patch: its own failing order, and the run's other patches. */
function togetherWords(runId: number, patch: VerifiedPatch, patches: readonly VerifiedPatch[], distinct: number): string {
  const sharing = patches.filter((p) => p.diff === patch.diff).length
  const orders =
    sharing > 1
      ? `the failing orders of run ${runId} of the ${sharing} victims it fixes fail without it and pass with it`
      : `the failing order of run ${runId} fails without it and passes with it`
  return distinct > 1 ? `${orders}, and with the run's ${plural(distinct - 1, 'other patch', 'other patches')} too` : orders
}

/** The key victims share a patch by: the same polluters (a brittle test is its own). */
export function causeKey(f: Pick<Finding, 'kind' | 'victim' | 'polluters'>): string {
  return f.kind === 'victim' ? `victim\u0000${[...f.polluters].sort().join('\u0000')}` : `${f.kind}\u0000${f.victim}`
}

/** The verified patch of an earlier victim of the same polluters, if any. */
function sharedPatch(attempts: readonly Attempt[], findings: ReadonlyMap<string, Finding>, finding: Finding): VerifiedPatch | undefined {
  if (finding.kind !== 'victim') return undefined
  const key = causeKey(finding)
  for (const a of attempts) if ('patch' in a && findings.get(a.patch.victim) && causeKey(findings.get(a.patch.victim)!) === key) return a.patch
  return undefined
}

/** A stored finding this run's order can replay: its culprits ran here, and what they left was diagnosed (an empty list: nothing seen). */
export function usableFinding(facts: RunFacts, victim: RecordedTest): Finding | undefined {
  const stored = facts.findings.get(idOf(victim))
  if (!stored || (stored.kind !== 'victim' && stored.kind !== 'brittle')) return undefined
  const ids = new Set(facts.order.map(idOf))
  if (stored.kind === 'victim' && (!stored.leaks || !stored.polluters.every((p) => ids.has(p)))) return undefined
  return findingOf(stored)
}

/** The finding a stored row holds, as fix works with it. */
function findingOf(stored: StoredFinding): Finding {
  const { victim, kind, polluters, stateSetters, cleaners, probes, leaks, fix } = stored
  return { victim, kind, polluters, stateSetters, cleaners, probes, leaks, fix }
}

/**
 * A victim's stored finding that was checked against another victim's polluters, not bisected
 * (the in-job bisect does that for a failure the same polluters explain): no leak was diagnosed
 * for it, but when a victim of the same run has a usable finding of the same polluters, it can take
 * that one's patch, and the run's combined check runs its failing order with it (no bisect again).
 */
export function checkedFinding(facts: RunFacts, victim: RecordedTest): Finding | undefined {
  const stored = facts.findings.get(idOf(victim))
  if (stored?.kind !== 'victim' || stored.leaks || !stored.polluters.length) return undefined
  const ids = new Set(facts.order.map(idOf))
  if (!stored.polluters.every((p) => ids.has(p))) return undefined
  const key = causeKey(stored)
  const diagnosed = facts.victims.some((v) => idOf(v) !== stored.victim && usableFinding(facts, v) && causeKey(usableFinding(facts, v)!) === key)
  return diagnosed ? findingOf(stored) : undefined
}

/**
 * One victim's bisect, or why it could not be bisected (it no longer runs in the replayed order:
 * i18next's suites had such a test): the run's other failures are still fixed.
 */
async function bisectOrWhy(facts: RunFacts, victim: RecordedTest, baseline: PlanExecutor): Promise<Finding | { victim: string; why: string }> {
  try {
    return await bisectVictim(facts, victim, baseline)
  } catch (error) {
    if (!(error instanceof FlakeseedError)) throw error
    return { victim: idOf(victim), why: `not bisected: ${error.message.replace(/^flakeseed: /, '')}` }
  }
}

/** Bisect first, as `bisect` does, on the same Vitest instance the patches' checks use. */
export async function bisectVictim(facts: RunFacts, victim: RecordedTest, baseline: PlanExecutor): Promise<Finding> {
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
function save(options: FixSessionOptions, run: RunRow, found: readonly Finding[], attempts: readonly Attempt[]): void {
  try {
    const store = Store.open(options.db)
    try {
      for (const f of found) if (!f.interrupted) saveFinding(store, run.id, f, replayCommand(run.id, { only: [...f.polluters, f.victim], ...options.commands }))
      for (const a of attempts) if ('patch' in a) savePatch(store, { runId: run.id, ...a.patch })
    } finally {
      store.close()
    }
  } catch (error) {
    process.stderr.write(`flakeseed: could not save the patches: ${(error as Error).message}\n`)
  }
}
