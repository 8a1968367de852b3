// The bisect coordinator: from a recorded failing order to the class of a failing test and the
// minimal set of earlier tests that explains it. It decides what to probe; `minimize` (pure)
// decides how to search; an executor (Vitest in-process, or a fake in unit tests) runs plans.
import { ProjectChanged } from '../run/probe-files.js'
import { FlakeseedError } from '../core/errors.js'
import type { DiagnoseRequest, PlanResult } from '../run/execute.js'
import type { Finding, RecordedTest } from '../core/model.js'
import { idOf, testId } from '../core/names.js'
import type { Plan } from '../core/order.js'
import { planOf } from '../run/selection.js'
import { diagnose, findCleaners } from './verify-leaks.js'
import { minimize, type BisectEvent, type ProbeOutcome } from '../core/minimize.js'

export type BisectProgress =
  | { type: 'phase'; phase: string }
  | { type: 'probe'; probe: number; candidates: number; outcome: ProbeOutcome }
  | { type: 'search'; remaining: number; best: number }

export interface BisectInput {
  victim: string
  /** The failing run's results, in executed order. */
  failing: readonly RecordedTest[]
  /** Whether files were isolated in that run (Vitest's default: true). */
  isolate: boolean
  /** Other recorded runs in which the victim passed, newest first (for brittle tests, cleaners). */
  passing: ReadonlyArray<{ results: readonly RecordedTest[]; isolate: boolean }>
  repeat: number
  cleaners: boolean
  /** After finding the culprits, find what they left behind and a fix (default on). */
  diagnose?: boolean
  /** The victim's error in the failing run (the diagnosis tries leaks it names first). */
  error?: string | null
  execute(plan: Plan, diagnose?: DiagnoseRequest): Promise<PlanResult>
  /** Runs a plan with every file isolated (`isolate: true`): for culprits in other files. */
  executeIsolated?(plan: Plan): Promise<PlanResult>
  /** Probes `execute` may run at once (default 1): independent ones are then issued together. */
  jobs?: number
  /**
   * What the history suggests, best first (test ids): tried before any search. Polluters must be
   * among the tests that ran before the victim; state setters among those of a passing order.
   */
  suspects?: { polluters?: readonly string[]; setters?: readonly string[] }
  signal?: AbortSignal
  onProgress?(event: BisectProgress): void
}

/**
 * The tests that shared the victim's process before it, in order: its own file's earlier tests
 * when files are isolated, else the same worker's earlier tests across files.
 */
export function earlierTests(results: readonly RecordedTest[], victim: string, isolate: boolean): RecordedTest[] {
  const v = results.find((t) => idOf(t) === victim)
  if (!v) return []
  return results.filter((t) => {
    if (t === v || (t.state !== 'passed' && t.state !== 'failed')) return false
    const before = t.fileIndex < v.fileIndex || (t.fileIndex === v.fileIndex && t.testIndex < v.testIndex)
    if (!before) return false
    if (isolate) return t.project === v.project && t.file === v.file
    return v.worker === null || t.worker === null || t.worker === v.worker
  })
}

/** Suspects from the history tried before the search: this many at least, when tied (a floor: see SUSPECT_SHARE). */
export const MIN_SUSPECTS = 3
/** ... and at most this share of the candidates (more than that tell the search little). */
export const SUSPECT_SHARE = 1 / 8

/** Thrown out of a probe that Ctrl-C cut short; `bisect` returns what it has. */
class Interrupted {}

/** `work`, or as soon as `signal` aborts what `onAbort` gives (by default an `Interrupted` rejection); `work` is then left to itself. */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => T = () => {
    throw new Interrupted()
  },
): Promise<T> {
  if (!signal) return work
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      work.catch(() => {})
      try {
        resolve(onAbort())
      } catch (error) {
        reject(error)
      }
    }
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error) => {
        signal.removeEventListener('abort', abort)
        reject(error)
      },
    )
  })
}

export async function bisect(input: BisectInput): Promise<Finding> {
  const finding: Finding = { victim: input.victim, kind: 'not-reproduced', polluters: [], stateSetters: [], cleaners: [], probes: 0 }
  try {
    return await new Bisection(input, finding).run()
  } catch (error) {
    // The one way out of a bisect cut short: a probe cut short by Ctrl-C (its worker got the
    // signal too) says nothing; what was established before it stands.
    if (error instanceof Interrupted || input.signal?.aborted) return { ...finding, interrupted: true }
    // The code under test changed: later probes would test another version than earlier ones.
    if (error instanceof ProjectChanged) return { ...finding, interrupted: true, stopped: error.message }
    throw error
  }
}

/** How many runs of a probe failed. */
interface Tally {
  failed: number
  runs: number
}

/** The formatter's side: named phases and the minimizer's progress, as BisectProgress events. */
class Progress {
  constructor(private readonly onProgress: BisectInput['onProgress']) {}

  phase(name: string): void {
    this.onProgress?.({ type: 'phase', phase: name })
  }

  probe(probe: number, candidates: number, outcome: ProbeOutcome): void {
    this.onProgress?.({ type: 'probe', probe, candidates, outcome })
  }

  readonly onEvent = (e: BisectEvent<RecordedTest>): void => {
    if (e.type === 'progress') this.onProgress?.({ type: 'search', remaining: e.remaining.length, best: e.best.length })
  }
}

/** The runner: the victim after some tests, each run counted in the finding and cut short by Ctrl-C. */
class VictimRunner {
  /** Each test's place in declaration order (from the first probe's results). */
  readonly declared = new Map<string, number>()
  /** Probes that may run at once (`--jobs`): independent probes go side by side. */
  readonly jobs: number

  constructor(
    private readonly input: BisectInput,
    private readonly finding: Finding,
    private readonly victim: RecordedTest,
    private readonly progress: Progress,
  ) {
    this.jobs = Math.max(1, Math.floor(input.jobs ?? 1))
  }

  /** Runs `tests` then the victim (optionally diagnosing); the whole result. */
  readonly probe = async (tests: readonly RecordedTest[], diagnose?: DiagnoseRequest, isolated = false): Promise<PlanResult> => {
    const { input, declared } = this
    this.finding.probes++
    // Ctrl-C stops at once: the probe's own workers got the signal too (a terminal signals the
    // whole foreground group), so its outcome would say nothing, and Vitest may wait a minute
    // for a worker killed mid-teardown.
    const plan = planOf([...tests, this.victim])
    const result = await untilAborted(isolated && input.executeIsolated ? input.executeIsolated(plan) : input.execute(plan, diagnose), input.signal)
    if (input.signal?.aborted) throw new Interrupted()
    // Vitest lists a file's tests as declared, those the plan skipped too: the first probe's list is the order.
    if (!declared.size) for (const id of result.states.keys()) declared.set(id, declared.size)
    return result
  }

  /** Runs `tests` then the victim; the victim's outcome. */
  readonly run = async (tests: readonly RecordedTest[]): Promise<ProbeOutcome> => {
    const victim = this.input.victim
    const state = (await this.probe(tests)).states.get(victim)
    if (state !== 'passed' && state !== 'failed') {
      throw new FlakeseedError(`flakeseed: ${victim} did not run in the replayed order (removed or renamed since the recorded run?)`)
    }
    const outcome: ProbeOutcome = state === 'failed' ? 'fail' : 'pass'
    this.progress.probe(this.finding.probes, tests.length, outcome)
    return outcome
  }

  /**
   * Up to `times` runs, stopping at the first `stopAt`; how many failed. With several jobs the
   * runs go in rounds of that many at once, and the stop is checked after each round.
   */
  async tally(tests: readonly RecordedTest[], times: number, stopAt?: ProbeOutcome): Promise<Tally> {
    let failed = 0
    let runs = 0
    while (runs < times) {
      if (this.input.signal?.aborted) break
      const round = Math.min(this.jobs, times - runs)
      runs += round
      const outcomes = await Promise.all(Array.from({ length: round }, () => this.run(tests)))
      failed += outcomes.filter((o) => o === 'fail').length
      if (stopAt && outcomes.includes(stopAt)) break
    }
    return { failed, runs }
  }

  /**
   * With `repeat` > 1, a result is only taken once it holds up: the culprits with the victim
   * give `target` every time, and the victim alone gives the other outcome every time. A victim
   * that flips on its own (non-deterministic) rarely passes both; the runs are counted in
   * `failures` when it does not.
   */
  async holdsUp(culprits: readonly RecordedTest[], target: ProbeOutcome) {
    const { repeat } = this.input
    const [withCulprits, alone] =
      this.jobs > 1
        ? await Promise.all([this.tally(culprits, repeat), this.tally([], repeat)])
        : [await this.tally(culprits, repeat), await this.tally([], repeat)]
    const held = target === 'fail' ? withCulprits.failed === withCulprits.runs && alone.failed === 0 : withCulprits.failed === 0 && alone.failed === alone.runs
    const failures = { failed: withCulprits.failed + alone.failed, runs: withCulprits.runs + alone.runs }
    return { held, failures, aloneFlipped: alone.failed > 0 && alone.failed < alone.runs }
  }
}

/**
 * One victim's bisect, wired as rspec-core's bisect coordinator: the runner (`VictimRunner`) runs
 * probes, `minimize` searches, `Progress` reports; each phase below is one method, and every
 * phase cut short by Ctrl-C throws `Interrupted`, the one way out (`bisect` catches it).
 */
class Bisection {
  private readonly victim: RecordedTest
  private readonly runner: VictimRunner
  private readonly progress: Progress
  /** The tests that shared the victim's process before it in the failing run. */
  private readonly candidates: RecordedTest[]
  /** Every other test that could share the victim's process: its file's, or every file's without isolation. */
  private readonly pool: RecordedTest[]
  /** The victim alone, `repeat` times: run once, by whichever phase needs it first. */
  private alone: Tally | undefined

  constructor(
    private readonly input: BisectInput,
    private readonly finding: Finding,
  ) {
    const victim = input.failing.find((t) => idOf(t) === input.victim)
    if (!victim) throw new Error(`victim ${input.victim} is not in the run`)
    this.victim = victim
    this.progress = new Progress(input.onProgress)
    this.runner = new VictimRunner(input, finding, victim, this.progress)
    this.candidates = earlierTests(input.failing, input.victim, input.isolate)
    this.pool = input.failing.filter((t) => t !== victim && (!input.isolate || (t.project === victim.project && t.file === victim.file)))
  }

  async run(): Promise<Finding> {
    // 0. The history's suspects first: when they hold up, no search is needed.
    const suspected = await this.trySuspectsFromHistory()
    if (suspected) return suspected
    // 1. Does the recorded order still fail? 2. Alone: mixed results are non-determinism.
    const unordered = await this.confirm()
    if (unordered) return unordered
    // 3. Passes alone: some earlier tests make it fail. Fails alone: some may make it pass.
    return this.alone?.failed ? this.searchStateSetters() : this.searchPolluters()
  }

  /** Out through `Interrupted` when Ctrl-C or the budget stopped the bisect (or `aborted` says a search was cut short). */
  private stopIfAborted(aborted = false): void {
    if (aborted || this.input.signal?.aborted) throw new Interrupted()
  }

  /** The failing order, then the victim alone; a finding when either ends the bisect. */
  private async confirm(): Promise<Finding | undefined> {
    const { finding, runner, input } = this
    this.progress.phase(`confirming the failure: the victim after the ${this.candidates.length} tests that ran before it`)
    const confirm = await runner.tally(this.candidates, input.repeat, 'fail')
    this.stopIfAborted()
    if (!confirm.failed) {
      finding.failures = confirm
      return finding
    }
    this.progress.phase('running the victim alone')
    this.alone ??= await runner.tally([], input.repeat)
    this.stopIfAborted()
    if (this.alone.failed && this.alone.failed < this.alone.runs) {
      finding.kind = 'nod'
      finding.failures = this.alone
      return finding
    }
    return undefined
  }

  /** 3a. A victim: some earlier tests make it fail. */
  private async searchPolluters(): Promise<Finding> {
    const { finding } = this
    this.progress.phase(`searching ${this.candidates.length} earlier tests for what makes it fail`)
    const { search, nod } = await this.searchFor(this.candidates, 'fail')
    finding.kind = 'victim'
    finding.polluters = search.minimal.map(idOf)
    this.stopIfAborted(search.aborted)
    if (nod) return { ...finding, kind: 'nod', polluters: [], failures: nod }
    return this.conclude('victim', search.minimal)
  }

  /**
   * 3b. Fails alone: brittle if some earlier tests of a passing order make it pass: the recorded
   * ones, then the tests that can share its process (DESIGN.md, "Searching beyond the failing
   * run"), in the order they are declared (the order the authors ran), then all of them.
   */
  private async searchStateSetters(): Promise<Finding> {
    const { finding, input } = this
    finding.passingOrders = 0
    const recordedOrders = input.passing.map((passing) => earlierTests(passing.results, input.victim, passing.isolate))
    const tried = new Set<string>()
    for (const setters of [...recordedOrders, ...sharingOrders(this.pool, this.victim, this.runner.declared)]) {
      const key = setters.map(idOf).join('\n')
      if (!setters.length || tried.has(key)) continue
      tried.add(key)
      finding.passingOrders++
      const which = finding.passingOrders <= recordedOrders.length ? 'of a passing order' : 'that can share its process'
      this.progress.phase(`searching ${setters.length} tests ${which} for what makes it pass`)
      if ((await this.runner.run(setters)) !== 'pass') continue
      const { search, nod } = await this.searchFor(setters, 'pass')
      finding.kind = 'brittle'
      finding.stateSetters = search.minimal.map(idOf)
      this.stopIfAborted(search.aborted)
      if (nod) return { ...finding, kind: 'nod', stateSetters: [], failures: nod }
      return this.conclude('brittle', search.minimal)
    }
    finding.kind = 'independent'
    return finding
  }

  /**
   * The minimizer, then (repeat > 1) the check that its result holds up. One that does not may
   * be a culprit that does not always show (a race, leaked async work): search once more, this
   * time repeating every probe that misses the target, before calling the victim non-deterministic.
   */
  private async searchFor(pool: readonly RecordedTest[], target: ProbeOutcome) {
    const { repeat, signal } = this.input
    /**
     * The search cut into jobs + 1 parts per round costs more probes than halving (2 prefixes a
     * round where halving needs 1 for log₂3 ≈ 1.6 of the narrowing): with 2 jobs that is more
     * work than it saves, so 2 jobs only run the checks side by side.
     */
    const parallel = this.runner.jobs >= 3 ? this.runner.jobs : 1
    const options = { signal, onEvent: this.progress.onEvent, parallel }
    let search = await minimize(pool, this.runner.run, target, options)
    if (search.aborted || repeat === 1) return { search, nod: undefined }
    // Several culprits may be one culprit plus a test pinned because a probe missed once:
    // each must still be needed when every miss is repeated.
    const trim = async (s: typeof search) => (s.minimal.length > 1 ? minimize(s.minimal, this.runner.run, target, { ...options, repeat }) : s)
    search = await trim(search)
    if (search.aborted) return { search, nod: undefined }
    this.progress.phase(target === 'fail' ? 'checking that the polluters hold up' : 'checking that the state setters hold up')
    let check = await this.runner.holdsUp(search.minimal, target)
    if (check.held || signal?.aborted) return { search, nod: undefined }
    if (!check.aloneFlipped) {
      this.progress.phase(`searching again, repeating each probe that misses up to ${repeat} times`)
      search = await minimize(pool, this.runner.run, target, { ...options, repeat })
      if (!search.aborted) search = await trim(search)
      if (search.aborted) return { search, nod: undefined }
      check = await this.runner.holdsUp(search.minimal, target)
      if (check.held || signal?.aborted) return { search, nod: undefined }
    }
    return { search, nod: check.failures }
  }

  /** Culprits found: the follow-up questions (their describe, the diagnosis or cleaners), then the finding. */
  private async conclude(kind: 'victim' | 'brittle', culprits: readonly RecordedTest[]): Promise<Finding> {
    const { finding, input, runner, victim, pool, progress } = this
    finding.kind = kind
    if (kind === 'victim') finding.polluters = culprits.map(idOf)
    else finding.stateSetters = culprits.map(idOf)
    finding.probesToFind = finding.probes
    if (kind === 'victim' && culprits.length === 1) finding.describe = await sharedDescribe(culprits[0]!, this.candidates, runner.run)
    if (input.diagnose !== false) await this.diagnoseCulprits(kind, culprits)
    else if (kind === 'victim' && input.cleaners) {
      const phase = (name: string) => progress.phase(name)
      finding.cleaners = await findCleaners({ culprits, victim, pool, probe: runner.probe, phase, onEvent: progress.onEvent, signal: input.signal })
    }
    return finding
  }

  /** What the culprits left behind (or set up), which of it is the cause, and the fix. */
  private async diagnoseCulprits(kind: 'victim' | 'brittle', culprits: readonly RecordedTest[]): Promise<void> {
    const { finding, input, runner, progress } = this
    const before = finding.probes
    try {
      const found = await diagnose({
        kind,
        culprits,
        victim: this.victim,
        ...(finding.describe ? { describe: finding.describe } : {}),
        error: input.error,
        pool: this.pool,
        cleaners: input.cleaners,
        probe: (tests, request) => runner.probe(tests, request),
        probeIsolated: input.executeIsolated ? (tests) => runner.probe(tests, undefined, true) : undefined,
        phase: (name) => progress.phase(name),
        onEvent: progress.onEvent,
        signal: input.signal,
      })
      finding.leaks = found.leaks
      finding.cleaners = found.cleaners
      if (found.noLeak) finding.noLeak = found.noLeak
      if (found.fix) finding.fix = found.fix
    } finally {
      finding.diagnosisProbes = finding.probes - before
    }
  }

  /** 0. The polluters the history suspects, else its state setters (for the first passing order that has any). */
  private async trySuspectsFromHistory(): Promise<Finding | undefined> {
    const { input } = this
    const polluterSuspects = fromHistory(input.suspects?.polluters, this.candidates)
    if (polluterSuspects.length) {
      const found = await this.trySuspectsInTurn(polluterSuspects, 'fail')
      if (found) return found
      this.stopIfAborted()
    }
    for (const passing of input.passing) {
      const setterSuspects = fromHistory(input.suspects?.setters, earlierTests(passing.results, input.victim, passing.isolate))
      if (!setterSuspects.length) continue
      const found = await this.trySuspectsInTurn(setterSuspects, 'pass')
      if (found) return found
      this.stopIfAborted()
      break
    }
    return undefined
  }

  /** The best suspect alone first (the likeliest single culprit), then all of them together. */
  private async trySuspectsInTurn(suspects: readonly RecordedTest[], target: ProbeOutcome): Promise<Finding | undefined> {
    const best = this.input.suspects && (target === 'fail' ? this.input.suspects.polluters : this.input.suspects.setters)?.[0]
    const first = suspects.find((t) => idOf(t) === best)
    if (first && suspects.length > 1) {
      const found = await this.trySuspects([first], target)
      if (found || this.input.signal?.aborted) return found
    }
    return this.trySuspects(suspects, target)
  }

  /**
   * The victim with the suspects: when that holds up (it fails with them `repeat` times and passes
   * alone as often, or the reverse for state setters), they are the result.
   */
  private async trySuspects(suspects: readonly RecordedTest[], target: ProbeOutcome): Promise<Finding | undefined> {
    const { input, runner } = this
    if (!suspects.length) return undefined
    this.progress.phase(`trying ${suspects.length === 1 ? 'the suspect' : `${suspects.length} suspects`} from the history`)
    // One suspect is the result if it holds up `repeat` times; a group is searched, then checked.
    const times = suspects.length === 1 ? input.repeat : 1
    const withSuspects = await runner.tally(suspects, times, target === 'fail' ? 'pass' : 'fail')
    const held = target === 'fail' ? withSuspects.failed === withSuspects.runs : withSuspects.failed === 0
    if (!held || withSuspects.runs < times || input.signal?.aborted) return undefined
    this.alone ??= await runner.tally([], input.repeat)
    if (target === 'fail' ? this.alone.failed !== 0 : this.alone.failed !== this.alone.runs) return undefined
    const kind = target === 'fail' ? 'victim' : 'brittle'
    if (suspects.length === 1) return this.conclude(kind, suspects)
    // Several (tests the history cannot tell apart, e.g. a whole file before the victim): the
    // search runs inside them, with the check that its result holds up.
    this.progress.phase(`searching the ${suspects.length} suspects for what makes it ${target}`)
    const { search, nod } = await this.searchFor(suspects, target)
    if (search.aborted || input.signal?.aborted) return undefined
    if (nod) return { ...this.finding, kind: 'nod', failures: nod }
    return this.conclude(kind, search.minimal)
  }
}

/** Suspects from the history among `pool`, unless so many tie that they say little. */
function fromHistory(ids: readonly string[] | undefined, pool: readonly RecordedTest[]): RecordedTest[] {
  const wanted = new Set(ids ?? [])
  const found = pool.filter((t) => wanted.has(idOf(t)))
  return found.length <= Math.max(MIN_SUSPECTS, pool.length * SUSPECT_SHARE) ? found : []
}

/**
 * Candidate passing orders from the tests that can share the victim's process (`pool`): other
 * files' tests first (a plan runs a file once, the victim's last), then the victim's own file's
 * tests declared before it, in declaration order; then every test of its file. `declared` is the
 * declaration order Vitest reported (unknown tests keep their recorded order, at the end).
 */
export function sharingOrders(pool: readonly RecordedTest[], victim: RecordedTest, declared: ReadonlyMap<string, number>): RecordedTest[][] {
  const own = (t: RecordedTest) => t.project === victim.project && t.file === victim.file
  const rank = (t: RecordedTest) => declared.get(idOf(t)) ?? Number.MAX_SAFE_INTEGER
  const others = pool.filter((t) => !own(t))
  const mine = pool.filter(own).sort((a, b) => rank(a) - rank(b))
  const at = declared.get(idOf(victim))
  const before = at === undefined ? [] : mine.filter((t) => rank(t) < at)
  return [
    [...others, ...before],
    [...others, ...mine],
  ]
}

/**
 * A polluter's siblings in its describe: when another test of the same describe, alone before
 * the victim, pollutes too, the describe's hooks are the likelier cause than one arbitrary test.
 */
async function sharedDescribe(
  polluter: RecordedTest,
  candidates: readonly RecordedTest[],
  run: (t: readonly RecordedTest[]) => Promise<ProbeOutcome>,
): Promise<string | undefined> {
  const parts = polluter.name.split(' > ')
  if (parts.length < 2) return undefined
  const describe = parts.slice(0, -1).join(' > ')
  const sibling = candidates.find((t) => t !== polluter && t.project === polluter.project && t.file === polluter.file && t.name.startsWith(`${describe} > `))
  if (!sibling) return undefined
  return (await run([sibling])) === 'fail' ? testId(polluter.project, polluter.file, describe) : undefined
}
