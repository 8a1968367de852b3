// `flakeseed fix --all`: every order-dependent test of the history's flaky list patched in one go.
// Each flaky test's newest failing run gives its finding (the stored one, else a bisect as `fix`
// does); victims of the same culprits share one patch (their verified leaks together); the patches
// merge by position (src/fix/merge.ts) and the combination is verified as a whole: every victim's
// failing order fails without it and passes with it, and every file involved passes under the
// seed and N more (verifyTogether). Only the combination is stored, and `--apply` writes it.
import { analyse, executionKeys } from '../analysis/flakiness.js'
import { replayCommand } from '../core/commands.js'
import { FlakeseedError } from '../core/errors.js'
import { visible } from '../core/format.js'
import type { Finding, Leak } from '../core/model.js'
import { idOf } from '../core/names.js'
import { mergeEdits } from '../fix/merge.js'
import { type FileEdit, unifiedDiff } from '../fix/types.js'
import { PlanExecutor } from '../run/execute.js'
import { asideLines, changedNote, moveAside } from '../run/leftovers.js'
import { ProbeFiles } from '../run/probe-files.js'
import { location } from '../run/selection.js'
import { saveFinding } from '../store/findings.js'
import { flakyWindow } from '../store/flaky.js'
import { Store } from '../store/index.js'
import { ALL_VICTIMS, savePatch } from '../store/patches.js'
import { attemptFix, failingPlan, involvedFiles, otherCauses, type VerifiedPatch } from './attempt.js'
import { bisectVictim, causeKey, checkedFinding, type FixSessionOptions, type RunFacts, readFixRun, usableFinding } from './session.js'
import { brittleFirst, setterPatch, undoFor } from './setters.js'
import { type Checks, verifyTogether } from './verify.js'

export type FixAllOptions = Omit<FixSessionOptions, 'ref' | 'test'>

/** One polluter's patch: the victims it fixes. */
export interface GroupPatch extends VerifiedPatch {
  victims: string[]
}

export interface CombinedPatch {
  runId: number
  files: string[]
  diff: string
  edits: FileEdit[]
  verified: string
  checks: Checks
  hashes: Record<string, string>
  inputs: Record<string, string>
  seconds: number
}

export interface FixAllResult {
  /** The flaky tests considered (order-dependent or suspected of it). */
  tests: number
  /** Empty unless the combination was verified. */
  patches: GroupPatch[]
  combined?: CombinedPatch
  unpatched: Array<{ victim: string; why: string }>
}

/** Classes where an order may be the cause: everything but a non-deterministic, broken or fixed test. */
const NOT_ORDER = new Set(['non-deterministic', 'broken', 'fixed'])

/** A run with its flaky tests that failed in it, the Vitest instance its checks run on, and their findings. */
interface RunWork {
  facts: RunFacts
  baseline?: Promise<PlanExecutor>
  findings: Finding[]
}

export async function runFixAll(options: FixAllOptions): Promise<FixAllResult> {
  const started = Date.now()
  const works = flakyRuns(options.db)
  const tests = works.reduce((n, w) => n + w.facts.victims.length, 0)
  const unpatched: FixAllResult['unpatched'] = []
  if (!tests) return { tests, patches: [], unpatched }
  const { root, config } = location(works[0]!.facts.run, options.config)
  for (const w of works)
    if (location(w.facts.run).root !== root)
      throw new FlakeseedError(`flakeseed: runs ${works[0]!.facts.run.id} and ${w.facts.run.id} ran in different project roots; fix them one run at a time`)
  const protect = [options.db]
  // As bisect does: what recorded runs left is out of the way until the end (the oldest run's
  // files reach every later run's: `leftSince`).
  const aside = moveAside(root, works[0]!.facts.left ?? [], { signals: true })
  for (const line of asideLines(aside.moved, [], { runs: aside.runs })) options.onNote?.(line)
  const changed = changedNote(aside.changed)
  try {
    const found: Array<{ run: number; finding: Finding }> = []
    for (const w of works) found.push(...(await findAll(w, { root, config, protect, options, unpatched })))
    const groups = await patchGroups(works, { root, config, protect, options, unpatched })
    const { patches, edits } = mergeGroups(groups, unpatched)
    saveFindings(options, found)
    if (!patches.length) return { tests, patches: [], unpatched }
    const combined = await verifyCombined(works, patches, edits, { root, config, protect, options })
    if ('why' in combined) {
      for (const p of patches) for (const victim of p.victims) unpatched.push({ victim, why: `the patches together: ${combined.why}` })
      return { tests, patches: [], unpatched }
    }
    combined.seconds = (Date.now() - started) / 1000
    saveCombined(options, combined)
    return { tests, patches, combined, unpatched }
  } finally {
    for (const w of works) if (w.baseline) await (await w.baseline).close()
    for (const line of asideLines([], aside.putBack())) process.stderr.write(`flakeseed: ${line}\n`)
    if (changed) for (const u of unpatched) u.why = `${u.why}; ${changed}`
  }
}

/** The history's flaky tests that an order may break, grouped by their newest failing run (oldest run first). */
function flakyRuns(db: string): RunWork[] {
  const store = Store.open(db, { readonly: true })
  let wanted: Map<number, Set<string>>
  try {
    const window = flakyWindow(store, { orderKeys: executionKeys })
    wanted = new Map()
    for (const row of analyse(window.eachHistory())) {
      if (NOT_ORDER.has(row.class) || !row.lastFailure) continue
      const run = row.lastFailure.run
      wanted.set(run, (wanted.get(run) ?? new Set()).add(row.test))
    }
  } finally {
    store.close()
  }
  return [...wanted]
    .sort(([a], [b]) => a - b)
    .map(([run, tests]) => {
      const facts = readFixRun({ ref: String(run), db })
      return { facts: { ...facts, victims: facts.victims.filter((v) => tests.has(idOf(v))) }, findings: [] }
    })
    .filter((w) => w.facts.victims.length)
}

interface Context {
  root: string
  config?: string
  protect: string[]
  options: FixAllOptions
  unpatched?: FixAllResult['unpatched']
}

/** The run's unpatched instance, started when first needed (bisects and checks share it). */
function baselineOf(w: RunWork, ctx: Context): Promise<PlanExecutor> {
  const { run } = w.facts
  w.baseline ??= PlanExecutor.create({
    root: ctx.root,
    config: ctx.config,
    seed: run.seed,
    kind: 'probe',
    db: false,
    isolate: run.isolate ?? undefined,
    quiet: true,
    protect: ctx.protect,
    // As bisect does: what the probes' tests write is put back after each probe.
    files: new ProbeFiles(ctx.root, ctx.protect),
  })
  return w.baseline
}

/** A finding for each of the run's flaky tests: the stored one, else a bisect. Returns the new ones. */
async function findAll(w: RunWork, ctx: Context): Promise<Array<{ run: number; finding: Finding }>> {
  const { run } = w.facts
  const found: Array<{ run: number; finding: Finding }> = []
  for (const victim of w.facts.victims) {
    const stored = usableFinding(w.facts, victim) ?? checkedFinding(w.facts, victim)
    ctx.options.onProgress?.(`${stored ? 'patching' : 'bisecting'} ${visible(idOf(victim))}`)
    const finding = stored ?? (await bisectVictim(w.facts, victim, await baselineOf(w, ctx)))
    if (!stored) found.push({ run: run.id, finding })
    w.findings.push(finding)
  }
  return found
}

/**
 * One patch per cause, verified on its first victim's failing order with every victim's file
 * checked; why not for the others. Brittle tests first, as plain `fix` does: a brittle test's
 * patch also restores, after its setter, what the setter breaks for other victims (undoFor), and
 * a group of those victims takes that patch instead of one of its own (the combination's check
 * runs their failing orders all the same).
 */
async function patchGroups(works: RunWork[], ctx: Context): Promise<GroupPatch[]> {
  const groups = new Map<string, Array<{ w: RunWork; finding: Finding }>>()
  for (const w of works) for (const finding of w.findings) groups.set(causeKey(finding), [...(groups.get(causeKey(finding)) ?? []), { w, finding }])
  const patches: GroupPatch[] = []
  const everyFinding = works.flatMap((w) => w.findings)
  const byVictim = new Map(everyFinding.map((f) => [f.victim, f]))
  const everyVictim = everyFinding.map((f) => f.victim)
  const undone = new Map<string, string[]>()
  for (const { members } of brittleFirst([...groups.values()].map((members) => ({ members, finding: members[0]!.finding })))) {
    const [{ w, finding }] = members as [{ w: RunWork; finding: Finding }]
    const victims = members.map((m) => m.finding.victim)
    const taken = setterGroup(patches, members, byVictim, undone)
    if (taken) {
      taken.victims.push(...victims)
      continue
    }
    const undo = undoFor(finding, everyFinding, w.facts.order)
    if (undo.length) undone.set(finding.victim, undo)
    const attempt = await attemptFix({
      root: ctx.root,
      config: ctx.config,
      run: w.facts.run,
      order: w.facts.order,
      finding: { ...finding, leaks: sharedLeaks(members.map((m) => m.finding)) },
      seeds: ctx.options.seeds,
      protect: ctx.protect,
      baseline: await baselineOf(w, ctx),
      alsoVictims: victims.slice(1),
      othersFix: new Set(everyVictim.filter((v) => !victims.includes(v))),
      ...(undo.length ? { undo } : {}),
    })
    if ('patch' in attempt) patches.push({ ...attempt.patch, victims })
    else for (const victim of victims) ctx.unpatched!.push({ victim, why: attempt.why })
  }
  return patches
}

/** The brittle test's patch every member of the group would take (setterPatch, each in its own run's order), if any. */
function setterGroup(
  patches: readonly GroupPatch[],
  members: ReadonlyArray<{ w: RunWork; finding: Finding }>,
  byVictim: ReadonlyMap<string, Finding>,
  undone: ReadonlyMap<string, readonly string[]>,
): GroupPatch | undefined {
  const attempts = patches.map((patch) => ({ patch }))
  const taken = members.map((m) => setterPatch(attempts, byVictim, m.finding, undone, m.w.facts.order))
  const first = taken[0]
  if (!first || taken.some((t) => t !== first)) return undefined
  return patches.find((p) => p === first)
}

/** Every leak of the group's findings (each what once), so one patch undoes what any of its victims read. */
function sharedLeaks(findings: readonly Finding[]): Leak[] | undefined {
  if (findings.every((f) => !f.leaks)) return undefined
  const leaks = new Map<string, Leak>()
  for (const f of findings)
    for (const leak of f.leaks ?? []) if (!leaks.has(`${leak.kind}\u0000${leak.what}`) || leak.verified) leaks.set(`${leak.kind}\u0000${leak.what}`, leak)
  return [...leaks.values()]
}

/** The patches merged one by one; one that clashes with those before it is left out, its victims told why. */
function mergeGroups(groups: readonly GroupPatch[], unpatched: FixAllResult['unpatched']): { patches: GroupPatch[]; edits: FileEdit[] } {
  const kept: GroupPatch[] = []
  let edits: FileEdit[] = []
  for (const group of groups) {
    const merged = mergeEdits([...kept, group].map((p) => ({ name: visible(p.victim), edits: p.edits })))
    if ('conflict' in merged) {
      for (const victim of group.victims) unpatched.push({ victim, why: merged.conflict })
      continue
    }
    kept.push(group)
    edits = merged.edits
  }
  return { patches: kept, edits }
}

/** The combination's three checks, over every victim of the patches kept. */
async function verifyCombined(works: RunWork[], patches: readonly GroupPatch[], edits: FileEdit[], ctx: Context): Promise<CombinedPatch | { why: string }> {
  const victims = new Set(patches.flatMap((p) => p.victims))
  const orders: Array<{ failing: ReturnType<typeof failingPlan>; victim: string; baseline: PlanExecutor }> = []
  const files = new Map<string, { project: string; file: string }>()
  for (const w of works)
    for (const finding of w.findings.filter((f) => victims.has(f.victim))) {
      orders.push({ failing: failingPlan({ order: w.facts.order, finding }), victim: finding.victim, baseline: await baselineOf(w, ctx) })
      for (const f of involvedFiles(
        w.facts.order,
        [finding],
        edits.map((e) => e.path),
      ))
        files.set(`${f.project}\u0000${f.file}`, f)
    }
  const first = works[0]!.facts.run
  ctx.options.onProgress?.(`verifying ${patches.length} patch${patches.length === 1 ? '' : 'es'} together`)
  const v = await verifyTogether({
    root: ctx.root,
    config: ctx.config,
    seed: first.seed,
    isolate: first.isolate ?? undefined,
    orders,
    files: [...files.values()],
    edits,
    seeds: ctx.options.seeds,
    protect: ctx.protect,
  })
  if (!v.verified) return { why: v.why ?? 'not verified' }
  const runs = [...new Set(works.filter((w) => w.findings.some((f) => victims.has(f.victim))).map((w) => w.facts.run.id))]
  return {
    runId: Math.max(...runs),
    files: edits.map((e) => e.path),
    diff: unifiedDiff(edits),
    edits,
    verified: `the failing orders of ${orders.length} victim${orders.length === 1 ? '' : 's'} (run${runs.length === 1 ? '' : 's'} ${runs.join(', ')}) fail without it and pass with it; ${files.size} file${files.size === 1 ? '' : 's'} × ${v.checks.seeds} seeds pass${otherCauses(v.checks)}`,
    checks: v.checks,
    hashes: v.hashes,
    inputs: v.inputs,
    seconds: v.seconds,
  }
}

function saveFindings(options: FixAllOptions, found: ReadonlyArray<{ run: number; finding: Finding }>): void {
  withStore(options, (store) => {
    for (const { run, finding: f } of found)
      if (!f.interrupted) saveFinding(store, run, f, replayCommand(run, { only: [...f.polluters, f.victim], ...options.commands }))
  })
}

/** The combination goes into the history, for `fix --all --apply` to write. */
function saveCombined(options: FixAllOptions, c: CombinedPatch): void {
  withStore(options, (store) => {
    savePatch(store, { runId: c.runId, victim: ALL_VICTIMS, summary: 'fix --all', diff: c.diff, verified: c.verified, edits: c.edits, inputs: c.inputs })
  })
}

function withStore(options: FixAllOptions, fn: (store: Store) => void): void {
  try {
    const store = Store.open(options.db)
    try {
      fn(store)
    } finally {
      store.close()
    }
  } catch (error) {
    process.stderr.write(`flakeseed: could not save to the history: ${(error as Error).message}\n`)
  }
}
