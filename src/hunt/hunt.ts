// `flakeseed hunt`: the order dependencies a change introduces, found by targeted orders over
// what the change touches, then confirmed, bisected and diagnosed as bisect does
// (docs/ARCHITECTURE.md, Hunt). One Vitest instance serves every run.
import { readFileSync } from 'node:fs'
import { bisect } from '../bisect/coordinator.js'
import { type BisectReport, reportOf } from '../bisect/report.js'
import type { Finding, RecordedTest, TestState } from '../core/model.js'
import type { Plan } from '../core/order.js'
import { fileId, idOf, NAME_SEPARATOR } from '../core/names.js'
import { loadParser, testSources } from '../diagnose/source.js'
import type { DiagnoseRequest, PlanExecutor, PlanResult } from '../run/execute.js'
import { planOf } from '../run/selection.js'
import { type ChangeFacts, changedTests, introduced, newBeforeVictim } from './attribution.js'
import { type Base, changedFiles, textAt } from './git.js'
import { reachedPrivateState } from './private-state.js'
import { type HuntTest, newTestRuns, pairs, reverseOrder, seedOrder } from './orders.js'

export type HuntOrder = 'reverse' | 'pair' | 'alone' | 'seed'

export interface HuntFinding extends BisectReport {
  /** `flakeseed fix`'s verified patch, when `HuntInput.patch` gives one (issue 21). */
  patch?: { diff: string; apply: string }
  introduced: boolean
  /** Why it is (or is not) the change's. */
  why: string
  order: HuntOrder
}

export interface HuntResult {
  base: string
  commit: string
  affected: { files: string[]; tests: string[] }
  /** Vitest runs of targeted and seeded orders (bisect's probes not included), and how many passed whole. */
  runs: number
  passedRuns: number
  /** Bisect's probes. */
  probes: number
  findings: HuntFinding[]
  /** Failures no other test is blamed for. */
  unblamed: Array<{ test: string; why: 'non-deterministic' | 'fails in every order' }>
  /** What the budget cut. */
  cut?: string
  /** Seeded orders the cost cap (`HuntInput.seedsWithin`) held back: why. */
  seedsHeld?: string
  /** Files recorded runs left: moved aside for the hunt and put back, or left as the user's (changed since); a line each. */
  files?: string[]
  /** The runs of kind `hunt` the history holds for this hunt. */
  recorded: number[]
  seconds: number
}

export interface HuntInput {
  root: string
  base: Base
  executor: PlanExecutor
  /** Seconds for the whole hunt; the targeted orders come first, seeds only with time left. */
  budget: number
  /** Seeded orders at most, after the targeted ones. */
  seeds: number
  /**
   * The cost cap on seeds: a seeded order runs only when the hunt, with it, stays within this many
   * plain runs of the affected files, as measured here: Vitest's start and the first run, which
   * loads the files (a lower bound of a plain run, so the cap errs toward fewer seeds).
   * Undefined: every seed the budget allows.
   */
  seedsWithin?: number
  /** When the hunt session began (ms since the epoch; before the base and Vitest's start), and how long Vitest took to start (ms). */
  session?: { startedAt: number; startupMs: number }
  repeat: number
  phase(text: string): void
  signal?: AbortSignal
  /** The command that shows a finding again: `runId`, the run its failing order is recorded as, when it is. */
  command(finding: Finding, runId?: number): string
  /**
   * `flakeseed fix`'s patch (issue 21) verified for the finding in the order it failed in, or none
   * (src/hunt/record.ts, which also records the finding in the history); an unverified patch is never shown.
   */
  patch?(finding: Finding, failing: readonly RecordedTest[], run?: number, signal?: AbortSignal): Promise<HuntFinding['patch'] | undefined>
  /** Records an order the hunt ran (a finding's failing order, or the plain one when nothing was found) in the history: its run id. */
  record?(order: readonly RecordedTest[], finding?: Finding): Promise<number | undefined>
}

interface Run {
  order: HuntTest[]
  kind: HuntOrder | 'plain'
  result: PlanResult
  /** Its wall time. */
  ms: number
}

interface Facts extends ChangeFacts {
  /** The affected test files (`[project:]file`). */
  files: string[]
  /** The files the runs hold: the affected ones, or every test file when files share a worker. */
  runFiles: Array<{ id: string; project: string; file: string }>
  fresh: Set<string>
  /** Changed test files that could not be parsed: all their tests count as changed. */
  wholeFiles: string[]
  /** Changed test files whose imports, a few levels down, keep module-private state (which no snapshot sees), and that state. */
  hidden: Map<string, string[]>
}

export async function hunt(input: HuntInput): Promise<HuntResult> {
  const started = Date.now()
  const facts = await whatChanged(input)
  const result: HuntResult = {
    base: input.base.ref,
    commit: input.base.commit,
    affected: { files: facts.files, tests: [] },
    runs: 0,
    passedRuns: 0,
    probes: 0,
    findings: [],
    unblamed: [],
    recorded: [],
    seconds: 0,
  }
  const done = () => ({ ...result, seconds: (Date.now() - started) / 1000 })
  if (!facts.files.length) return done()
  // The budget is a deadline: a bisect or a patch's checks under way when it passes stop there.
  const budget = deadlineSignal(started + input.budget * 1000, input.signal)
  const over = () => budget.signal.aborted
  // At the deadline the run in flight stops too (its worker killed if its test does not end soon); it counts for nothing.
  budget.signal.addEventListener('abort', () => void input.executor.cancel().catch(() => {}), { once: true })
  let stopped = 0
  const runs: Run[] = []
  const run = async (order: HuntTest[], kind: Run['kind'], diagnose?: DiagnoseRequest): Promise<PlanResult> => {
    // Past the deadline no run starts.
    if (over()) return { states: new Map(), errors: new Map(), missing: [], unhandled: 0, cancelled: true }
    const began = Date.now()
    const r = await input.executor.run(planOf(order.map(asRecorded)), diagnose)
    if (r.cancelled) {
      stopped++
      return r
    }
    runs.push({ order, kind, result: r, ms: Date.now() - began })
    result.runs++
    if (![...r.states.values()].includes('failed') && !r.unhandled) result.passedRuns++
    return r
  }
  input.phase('reading the affected files’ tests')
  const collecting = Date.now()
  const collected = await input.executor.run({ files: facts.runFiles.map((f) => ({ project: f.project, file: f.file, tests: [] })) })
  // The cold run: it loads and transforms the files, as a plain run of them does.
  const coldMs = Date.now() - collecting
  const plain = [...collected.states.keys()].map((id) => splitTestId(id, facts.runFiles)).filter((t) => t !== undefined)
  for (const t of plain) if (facts.wholeFiles.includes(fileId(t.project, t.file))) facts.fresh.add(idOf(t))
  result.affected.tests = plain.map(idOf).filter((id) => facts.fresh.has(id))
  await targetedRuns(plain, facts, run, over, input.phase)
  await seededRuns(plain, runs, run, over, { ...input, started, coldMs }, result)
  // A probe the deadline abandoned ends before the hunt does: Vitest closed under a run in flight
  // would report it later, after the exit code is set.
  const pending = new Set<Promise<PlanResult>>()
  const execute = (plan: Plan, diagnose?: DiagnoseRequest) => {
    const run = input.executor.run(plan, diagnose)
    pending.add(run)
    run.then(
      () => pending.delete(run),
      () => pending.delete(run),
    )
    return run
  }
  try {
    await explain(runs, facts, { ...input, over, signal: budget.signal, execute }, result)
  } finally {
    budget.clear()
    await Promise.allSettled([...pending])
  }
  if (stopped || collected.cancelled) result.cut = stoppedCut(result.cut, input.budget)
  const plainRun = runs.find((r) => r.kind === 'plain')
  if (!result.findings.length && plainRun) {
    const id = await input.record?.(recorded(plainRun))
    if (id !== undefined) result.recorded.push(id)
  }
  return done()
}

/**
 * The seeded orders after the targeted ones, while the budget lasts and, with a cost cap, while one
 * more (as long as the slowest whole-file order so far) keeps the hunt since its session began
 * within `seedsWithin` plain runs (`HuntInput.seedsWithin`).
 */
async function seededRuns(
  plain: HuntTest[],
  runs: readonly Run[],
  run: (order: HuntTest[], kind: Run['kind']) => Promise<PlanResult>,
  over: () => boolean,
  input: Pick<HuntInput, 'seeds' | 'seedsWithin' | 'session' | 'budget' | 'phase'> & { started: number; coldMs: number },
  result: HuntResult,
): Promise<void> {
  const since = input.session?.startedAt ?? input.started
  const plainMs = runs.find((r) => r.kind === 'plain')?.ms ?? 0
  // A plain run of the affected files, at least: Vitest's start, and a run that loads the files.
  const cap = input.seedsWithin === undefined ? Number.POSITIVE_INFINITY : input.seedsWithin * ((input.session?.startupMs ?? 0) + input.coldMs)
  for (let k = 1; k <= input.seeds; k++) {
    if (over()) {
      result.cut = `budget of ${input.budget} s used up after ${k - 1} of ${input.seeds} seeded orders`
      return
    }
    const next = Math.max(plainMs, ...runs.filter((r) => r.kind === 'seed' || r.kind === 'reverse').map((r) => r.ms))
    if (Date.now() - since + next > cap) {
      result.seedsHeld = `${k - 1} of ${input.seeds} seeded orders: one more would take the hunt past ${input.seedsWithin}× a plain run of the affected files`
      return
    }
    input.phase(`seeded order ${k} of ${input.seeds}`)
    await run(seedOrder(plain, `hunt-${k}`), 'seed')
  }
}

/** What the budget cut, with the run it stopped in flight (left out: its tests had not all run). */
function stoppedCut(cut: string | undefined, budget: number): string {
  const stopped = 'the run in flight was stopped and left out'
  return cut ? `${cut}; ${stopped}` : `budget of ${budget} s used up: ${stopped}`
}

/** A signal that aborts at `deadline` (ms since the epoch) or with `outer`; `clear` drops the timer. */
function deadlineSignal(deadline: number, outer: AbortSignal | undefined): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController()
  const abort = () => controller.abort()
  const timer = setTimeout(abort, Math.max(0, deadline - Date.now()))
  timer.unref()
  if (outer?.aborted) abort()
  outer?.addEventListener('abort', abort, { once: true })
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      outer?.removeEventListener('abort', abort)
    },
  }
}

/** The targeted orders: plain and reverse; the new tests on their own (with snapshots); each new test that leaves state behind right before each other test. */
async function targetedRuns(
  plain: HuntTest[],
  facts: Facts,
  run: (order: HuntTest[], kind: Run['kind'], diagnose?: DiagnoseRequest) => Promise<PlanResult>,
  over: () => boolean,
  phase: (text: string) => void,
): Promise<void> {
  phase('the plain order')
  await run(plain, 'plain')
  phase('the reverse order')
  await run(reverseOrder(plain), 'reverse')
  if (!facts.fresh.size) return
  const { forward, backward, after } = newTestRuns(plain, facts.fresh)
  /** New tests that leave something a snapshot sees (or whose snapshot was not taken). */
  const leaky = new Set<string>()
  phase('the new tests on their own')
  for (const [file, older] of after) {
    const culprits = forward.filter((t) => fileId(t.project, t.file) === file && t !== older)
    const seen = await run([...culprits, older], 'alone', { culprits, victim: older })
    if (!seen.diagnosis?.reached) for (const c of culprits) leaky.add(idOf(c))
    for (const leak of seen.diagnosis?.leaks ?? []) leaky.add(leak.by)
  }
  // What a new test changes in a module's private state no snapshot sees: it is paired all the same.
  for (const t of plain) if (facts.fresh.has(idOf(t)) && facts.hidden.has(fileId(t.project, t.file))) leaky.add(idOf(t))
  const withoutOlder = forward.filter((t) => facts.fresh.has(idOf(t)) && !after.has(fileId(t.project, t.file)))
  if (withoutOlder.length) await run(withoutOlder, 'alone')
  // One new test per file: backward is forward again.
  if (backward.map(idOf).join('\n') !== forward.map(idOf).join('\n')) await run(backward, 'alone')
  const todo = pairs(plain, leaky)
  // One victim shows a new test pollutes: its other pairs are left to the budget's seeds.
  const shown = new Set<string>()
  for (const [k, pair] of todo.entries()) {
    if (over()) break
    if (shown.has(idOf(pair[0]))) continue
    phase(`pair ${k + 1} of ${todo.length}`)
    const r = await run(pair, 'pair')
    if (r.states.get(idOf(pair[1])) === 'failed') shown.add(idOf(pair[0]))
  }
}

/** Changed sources searched one by one, so a finding can name the one its file imports; the rest together. */
const MAX_SOURCES_NAMED = 10

/** What the change touches: the affected test files, the new and changed tests, the changed sources. */
async function whatChanged(input: HuntInput): Promise<Facts> {
  const { executor, root } = input
  const changed = changedFiles(root, input.base.commit)
  const testFiles = executor.testFiles()
  const testPaths = new Set(testFiles.map((f) => f.path))
  const sourcePaths = changed.filter((p) => !testPaths.has(p))
  const files = await executor.related(changed)
  const reaching = new Map<string, string[]>()
  for (const source of sourcePaths.slice(0, MAX_SOURCES_NAMED))
    for (const file of await executor.related([source])) reaching.set(file, [...(reaching.get(file) ?? []), toRootPath(root, source)])
  if (sourcePaths.length > MAX_SOURCES_NAMED)
    for (const file of await executor.related(sourcePaths.slice(MAX_SOURCES_NAMED)))
      reaching.set(file, [...(reaching.get(file) ?? []), 'other changed sources'])
  const fresh = new Set<string>()
  const wholeFiles: string[] = []
  const hidden = new Map<string, string[]>()
  const parse = await loadParser(root)
  for (const f of testFiles.filter((t) => changed.includes(t.path))) {
    const state = reachedPrivateState(f.path, root, readOrNothing)
    if (state.length) hidden.set(f.id, state)
    const code = readFileSync(f.path, 'utf8')
    const head = parse && testSources(parse, f.path, code)
    const baseText = textAt(root, input.base.commit, f.path)
    const base = baseText === undefined ? undefined : parse && testSources(parse, f.path, baseText)
    if (!head || (baseText !== undefined && !base)) {
      wholeFiles.push(f.id)
      continue
    }
    const { added, changed: edited } = changedTests(head, base ?? undefined)
    for (const name of [...added, ...edited]) fresh.add(`${f.id}${NAME_SEPARATOR}${name}`)
  }
  const affected = new Set(files)
  const runFiles = testFiles.filter((f) => !executor.isolated || affected.has(f.id))
  const sources = sourcePaths.map((p) => toRootPath(root, p))
  return { files: testFiles.filter((f) => affected.has(f.id)).map((f) => f.id), runFiles, fresh, wholeFiles, hidden, sources, reachingSources: reaching }
}

function readOrNothing(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The hunt's input as the bisects see it: the deadline, and the executor's runs (tracked). */
type Explaining = HuntInput & { over(): boolean; execute(plan: Plan, diagnose?: DiagnoseRequest): Promise<PlanResult> }

/** Every test that failed in some run: confirmed and bisected, or said to be no order dependency. */
async function explain(runs: readonly Run[], facts: Facts, input: Explaining, result: HuntResult): Promise<void> {
  const failed = new Set(runs.flatMap((r) => [...r.result.states].filter(([, s]) => s === 'failed').map(([id]) => id)))
  const left: string[] = []
  let cutShort: string | undefined
  for (const victim of failed) {
    if (input.over()) {
      left.push(victim)
      continue
    }
    const outcomes = runs.map((r) => r.result.states.get(victim)).filter((s): s is TestState => s === 'passed' || s === 'failed')
    if (outcomes.every((s) => s === 'failed')) {
      result.unblamed.push({ test: victim, why: 'fails in every order' })
      continue
    }
    const finding = await bisectVictim(victim, runs, input)
    result.probes += finding.probes
    // Cut by the budget: the smallest set found so far stands as what it is; a search that had not begun says nothing.
    if (finding.interrupted && finding.kind !== 'victim' && finding.kind !== 'brittle') left.push(victim)
    else if (finding.kind === 'independent') result.unblamed.push({ test: victim, why: 'fails in every order' })
    else if (finding.kind === 'nod' || finding.kind === 'not-reproduced') result.unblamed.push({ test: victim, why: 'non-deterministic' })
    else result.findings.push(await found(finding, runs, facts, input, result))
    if (finding.interrupted) cutShort = victim
  }
  const notBisected = left.filter((v) => v !== cutShort)
  const cuts = [
    ...(cutShort
      ? [`the bisect of ${cutShort} stopped there${result.findings.some((f) => f.interrupted) ? ' (its finding names the smallest set found so far)' : ''}`]
      : []),
    ...(notBisected.length ? [`not bisected: ${notBisected.join(', ')}`] : []),
  ]
  if (cuts.length) result.cut = `budget of ${input.budget} s used up: ${cuts.join('; ')}`
}

/** The bisect of one victim over the runs it failed and passed in, stopped by the hunt's deadline. */
async function bisectVictim(victim: string, runs: readonly Run[], input: Explaining): Promise<Finding & { seconds: number; failing: Run }> {
  const failing = runs.find((r) => r.result.states.get(victim) === 'failed')!
  const passing = runs.filter((r) => r.result.states.get(victim) === 'passed').slice(0, 3)
  input.phase(`bisecting ${victim}`)
  const started = Date.now()
  const finding = await bisect({
    victim,
    failing: recorded(failing),
    isolate: input.executor.isolated,
    passing: passing.map((r) => ({ results: recorded(r), isolate: input.executor.isolated })),
    repeat: input.repeat,
    cleaners: false,
    diagnose: true,
    error: failing.result.errors.get(victim) ?? null,
    execute: input.execute,
    signal: input.signal,
  })
  return { ...finding, seconds: (Date.now() - started) / 1000, failing }
}

/** A bisected order dependency as the hunt reports it: who caused it, where it is recorded, its verified patch. */
async function found(
  { failing, seconds, ...finding }: Finding & { seconds: number; failing: Run },
  runs: readonly Run[],
  facts: Facts,
  input: Explaining,
  result: HuntResult,
): Promise<HuntFinding> {
  const second = await newPolluters(finding, runs, facts, input)
  result.probes += second.probes
  const order = second.order ?? orderOf(failing.kind, finding.victim, facts)
  const who = introduced(finding, facts, second.ids)
  // A set the budget left unminimised is not stored as a finding, nor patched (as bisect does).
  if (finding.interrupted)
    return {
      ...reportOf({ ...finding, command: input.command(finding), seconds }),
      introduced: who.introduced,
      why: `${who.why} (in the smallest set found before the budget ran out)`,
      order,
    }
  const runId = await input.record?.(recorded(failing), finding)
  if (runId !== undefined) result.recorded.push(runId)
  // Recorded, the failing order replays by itself; else only the hunt finds it again.
  const report = reportOf({ ...finding, command: input.command(finding, runId), seconds })
  // A patch's checks are runs too: none once the budget is used up, and they stop when it is.
  const patch = input.over() ? undefined : await input.patch?.(finding, recorded(failing), runId, input.signal)
  return { ...report, ...(patch ? { patch } : {}), ...who, order }
}

/** How a finding's failing run is named: a new test failing among the new tests alone is brittle (`alone`); an older one there was polluted (`pair`). */
function orderOf(kind: Run['kind'], victim: string, facts: Facts): HuntOrder {
  return kind === 'plain' ? 'reverse' : kind === 'alone' && !facts.fresh.has(victim) ? 'pair' : kind
}

/** New tests asked at most whether they pollute a victim on their own. */
const MAX_NEW_POLLUTERS = 3

/**
 * When the bisect's minimal polluter is an older test, the new tests that pollute the victim on
 * their own: one that a failing order ran before the victim with no older polluter between is
 * run alone right before it, `repeat` times; failing every time confirms it.
 */
async function newPolluters(
  finding: Finding,
  runs: readonly Run[],
  facts: Facts,
  input: Explaining,
): Promise<{ ids: string[]; order?: HuntOrder; probes: number }> {
  const out: { ids: string[]; order?: HuntOrder; probes: number } = { ids: [], probes: 0 }
  const { victim } = finding
  if (finding.kind !== 'victim' || finding.interrupted || [victim, ...finding.polluters].some((t) => facts.fresh.has(t))) return out
  const tried = new Set<string>()
  for (const run of runs) {
    if (run.result.states.get(victim) !== 'failed') continue
    const byId = new Map(run.order.map((t) => [idOf(t), t]))
    const v = byId.get(victim)!
    const together = (id: string) => !input.executor.isolated || (byId.get(id)!.file === v.file && byId.get(id)!.project === v.project)
    for (const id of newBeforeVictim([...byId.keys()], victim, finding.polluters, facts.fresh, together)) {
      if (tried.has(id) || tried.size >= MAX_NEW_POLLUTERS || input.over()) continue
      tried.add(id)
      const before = out.probes
      input.phase(`does ${id} alone pollute ${victim}?`)
      let failed = 0
      while (failed < input.repeat && failed === out.probes - before && !input.over()) {
        out.probes++
        if ((await input.execute(planOf([byId.get(id)!, v].map(asRecorded)))).states.get(victim) === 'failed') failed++
      }
      // Cut short by the deadline, or passing once: not confirmed.
      if (failed < input.repeat) continue
      out.ids.push(id)
      out.order ??= orderOf(run.kind, victim, facts)
    }
  }
  return out
}

/** A run's order as bisect reads a recorded run: one worker, positions per file. */
function recorded(run: Run): RecordedTest[] {
  const files: string[] = []
  const within = new Map<string, number>()
  return run.order.map((t) => {
    const file = fileId(t.project, t.file)
    if (files.at(-1) !== file) files.push(file)
    const testIndex = within.get(file) ?? 0
    within.set(file, testIndex + 1)
    const state = run.result.states.get(idOf(t)) ?? 'skipped'
    return { ...t, fileIndex: files.length - 1, testIndex, worker: 0, state }
  })
}

function asRecorded(t: HuntTest): RecordedTest {
  return { ...t, fileIndex: 0, testIndex: 0, worker: 0, state: 'passed' }
}

/** A test id back to its parts, given the files it can be in (the longest file id that prefixes it). */
function splitTestId(id: string, files: ReadonlyArray<{ id: string; project: string; file: string }>): HuntTest | undefined {
  const file = files.filter((f) => id.startsWith(`${f.id}${NAME_SEPARATOR}`)).sort((a, b) => b.id.length - a.id.length)[0]
  return file && { project: file.project, file: file.file, name: id.slice(file.id.length + NAME_SEPARATOR.length) }
}

function toRootPath(root: string, path: string): string {
  const prefix = root.endsWith('/') ? root : `${root}/`
  return (path.startsWith(prefix) ? path.slice(prefix.length) : path).replaceAll('\\', '/')
}
