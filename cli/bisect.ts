import { availableParallelism } from 'node:os'
import { type Command, InvalidArgumentError } from 'commander'
import { executionKeys } from '../src/analysis/flakiness.js'
import { rankSuspects, SHOWN_SCORE } from '../src/analysis/suspects.js'
import { bisect, type BisectProgress } from '../src/bisect/coordinator.js'
import { ProbePool } from '../src/bisect/pool.js'
import { describeReport, reportOf } from '../src/bisect/report.js'
import { ProbeFiles } from '../src/run/probe-files.js'
import { classifyFailures } from '../reporter/summary.js'
import { NOD_REPEAT, replayCommand } from '../src/core/commands.js'
import { DEFAULT_BISECT_REPEAT } from '../src/core/defaults.js'
import { FlakeseedError } from '../src/core/errors.js'
import { checkBudget, MAX_BISECT_BUDGET, parseSeconds } from '../src/plugin/options.js'
import { someOf, visible } from '../src/core/format.js'
import { PlanExecutor } from '../src/run/execute.js'
import type { Finding, RecordedTest } from '../src/core/model.js'
import { idOf } from '../src/core/names.js'
import type { Plan } from '../src/core/order.js'
import { failedTypeChecks, location, recordedOrder, selectTests, typeChecksNote } from '../src/run/selection.js'
import { latestFindings, runsWhereTestPassed, saveFinding } from '../src/store/findings.js'
import { Store, type RunRow } from '../src/store/index.js'
import { flakyWindow } from '../src/store/flaky.js'
import { logicalRun } from '../src/store/shards.js'
import { suspectRuns } from '../src/store/suspects.js'
import { causeSummary } from '../src/analysis/causes.js'
import { type ExplainedFinding, explainedVictims, type VictimCheckInput } from '../src/bisect/victims.js'
import { commandOptions, dbPath, EXIT, openStore, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  test?: string
  repeat: number
  cleaners?: boolean
  /** `--no-diagnose` sets it false. */
  diagnose: boolean
  config?: string
  jobs: number
  /** Only failures the history does not explain yet. */
  new?: boolean
  /** Seconds for all the bisecting together. */
  budget?: number
}

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('bisect')
    .description('find the minimal set of earlier tests that makes a failing test fail (or, for a brittle test, pass)')
    .argument('[run]', 'run id, or last (default: last)')
    .option('--test <test>', 'the failing test to explain (default: each failing test of the run)')
    .option(
      '--repeat <k>',
      'runs per check; above 1 a result must hold up k times in a row, and a test that flips on one fixed order is reported as non-deterministic; 1 trusts every probe (fastest)',
      positiveInt,
      DEFAULT_BISECT_REPEAT,
    )
    .option(
      '--cleaners',
      'also find tests of the suite that undo the pollution when run between polluter and victim (searched anyway when no leak is the cause)',
    )
    .option('--no-diagnose', 'only find the culprits: skip finding what they left behind and the fix')
    .option(
      '--jobs <n>',
      `probes run side by side on up to n Vitest instances (default: one fewer than the cores, at most ${MAX_JOBS})`,
      positiveInt,
      defaultJobs(),
    )
    .option('--new', 'only the failing tests the history does not explain yet (no finding, not known broken), the newest failures first')
    .option(
      '--budget <seconds>',
      'stop after this many seconds for all of them together; a bisect cut short reports the smallest set found so far',
      positiveSeconds,
    )
    .option('--config <path>', 'Vitest config file (default: the one the recorded run used)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((ref: string | undefined, options: Options) => action(() => bisectCommand(ref ?? 'last', options)))
}

export async function bisectCommand(ref: string, options: Options): Promise<number> {
  const store = openStore(options)
  let run: RunRow
  /** Each victim with the recorded order it failed in: its own shard's, for a sharded run. */
  const jobs: Array<{ victim: RecordedTest; run: RunRow; order: RecordedTest[] }> = []
  const passingRuns = new Map<string, Array<{ results: RecordedTest[]; isolate: boolean }>>()
  const suspectsOf = new Map<string, { polluters?: string[]; setters?: string[] } | undefined>()
  /** What failing tests did alone in the checks against a finding's polluters. */
  const alone = new Map<string, boolean>()
  try {
    run = store.resolveRun(ref)
    // The shards of one build are one run: `last` is its last shard, and a failure may be in any.
    const parts = logicalRun(store, run).map((part) => ({ run: part, order: recordedOrder(store.results(part.id)) }))
    if (options.test) {
      const test = options.test
      const failed = (p: (typeof parts)[number]) => hasTest(p.order, test) && selectTests(p.order, [test]).some((t) => t.state === 'failed')
      const part = parts.find(failed) ?? parts.find((p) => hasTest(p.order, test)) ?? parts.find((p) => p.run.id === run!.id)!
      const victims = selectTests(part.order, [test]).filter((t) => t.state === 'failed')
      // A test that passed explains nothing: bisecting it would only store a wrong finding.
      if (!victims.length) {
        const failing = parts.flatMap((p) => p.order.filter((t) => t.state === 'failed').map((t) => visible(idOf(t))))
        const which = parts.length > 1 ? `runs ${parts.map((p) => p.run.id).join(', ')} (shards of one run)` : `run ${run.id}`
        throw new FlakeseedError(
          `flakeseed: "${visible(test)}" did not fail in ${which}; ${failing.length ? `its failing tests: ${someOf(failing)}` : 'no test failed in it'}`,
        )
      }
      for (const victim of victims) jobs.push({ victim, ...part })
    } else if (options.new) {
      for (const part of parts) {
        const order = unexplained(store, part.run.id)
        for (const id of order) {
          const victim = part.order.find((t) => idOf(t) === id)
          if (victim) jobs.push({ victim, ...part })
        }
      }
      if (!jobs.length) {
        const checks = typeChecksNote(parts.reduce((n, p) => n + failedTypeChecks(store.results(p.run.id)), 0))
        if (options.json) printJson({ findings: [], left: [] })
        else if (checks) console.log(`flakeseed: every other failure of the run is explained by the history already; ${checks}`)
        else console.log('flakeseed: every failure of the run is explained by the history already (a finding, or known broken)')
        return EXIT.ok
      }
    } else {
      for (const part of parts) for (const victim of part.order.filter((t) => t.state === 'failed')) jobs.push({ victim, ...part })
    }
    if (!jobs.length) {
      const which = parts.length > 1 ? `runs ${parts.map((p) => p.run.id).join(', ')} (shards of one run) have` : `run ${run.id} has`
      const checks = typeChecksNote(parts.reduce((n, p) => n + failedTypeChecks(store.results(p.run.id)), 0))
      throw new FlakeseedError(`flakeseed: ${which} no failing test${checks ? ` to bisect, only ${checks}` : ' (pick one with --test)'}`)
    }
    for (const { victim } of jobs) suspectsOf.set(idOf(victim), historySuspects(store, idOf(victim)))
    // Within a budget, what can be explained goes first (none of it is spent on known breakage).
    if (options.new || options.budget) orderWork(store, jobs, suspectsOf)
    for (const { victim, run: part } of jobs) {
      const runs = runsWhereTestPassed(store, idOf(victim), part.id).map((id) => {
        const other = store.resolveRun(String(id))
        return { results: recordedOrder(store.results(id)), isolate: other.isolate ?? true }
      })
      passingRuns.set(idOf(victim), runs)
    }
  } finally {
    store.close()
  }

  const { root, config } = location(run, options.config)
  const started = Date.now()
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
    // The signal also reached Vitest's workers; one that dies between tasks makes Vitest's pool
    // emit an 'error' nobody listens to. We are on our way out: that must not crash the report.
    process.on('uncaughtException', () => {})
    process.stderr.write('\nflakeseed: interrupted; the smallest set found so far follows (Ctrl-C again to quit now)\n')
  }
  process.on('SIGINT', onSigint)
  const progress = makeProgress(Boolean(options.json), started)
  const protect = [dbPath(options)]
  // The tree as the bisect found it: every probe tests these sources and puts back only its tests' writes.
  const recorded = jobs.flatMap(({ run: r }) => (r.finishedAt === null ? [] : [{ from: r.startedAt, to: r.finishedAt }]))
  const files = new ProbeFiles(root, protect, recorded)
  const executors = new ProbePool(
    () => PlanExecutor.create({ root, config, seed: run.seed, kind: 'probe', db: false, isolate: run.isolate ?? undefined, quiet: true, protect, files }),
    options.jobs,
    files,
  )
  // The budget: all bisecting together stops when it runs out, as Ctrl-C does.
  let budgetUsed = false
  const budget = options.budget
    ? setTimeout(() => {
        budgetUsed = true
        controller.abort()
      }, options.budget * 1000)
    : undefined
  // For culprits in other files (isolate: false): the same probe with every file isolated.
  let isolated: Promise<PlanExecutor> | undefined
  const executeIsolated =
    run.isolate === false
      ? async (plan: Plan) =>
          (
            await (isolated ??= PlanExecutor.create({ root, config, seed: run.seed, kind: 'probe', db: false, isolate: true, quiet: true, protect, files }))
          ).run(plan)
      : undefined
  const findings: Array<Finding & { run: number; command: string; seconds: number }> = []
  /** Failing tests left without a cause, and why (`--new`, `--budget`). */
  const left: Array<{ test: string; why: string }> = []
  /** Set when a source file changed under the bisect: it stops, and says so in one line. */
  let stopped: string | undefined
  try {
    for (const { victim, run: part, order } of jobs) {
      if (controller.signal.aborted || stopped) {
        left.push({ test: idOf(victim), why: budgetUsed && !stopped ? `budget of ${options.budget} s used up` : 'interrupted' })
        continue
      }
      const victimStarted = Date.now()
      progress.start(idOf(victim))
      const finding = await bisect({
        victim: idOf(victim),
        failing: order,
        isolate: part.isolate ?? true,
        passing: passingRuns.get(idOf(victim)) ?? [],
        repeat: options.repeat,
        cleaners: Boolean(options.cleaners),
        diagnose: options.diagnose !== false,
        error: (victim as RecordedTest & { error?: string | null }).error ?? null,
        execute: (plan, diagnose) => executors.run(plan, diagnose),
        executeIsolated,
        jobs: executors.size,
        suspects: suspectsOf.get(idOf(victim)),
        signal: controller.signal,
        onProgress: progress.event,
      })
      progress.done()
      stopped ??= finding.stopped
      findings.push({ ...finding, run: part.id, command: reproduce(part.id, finding, options), seconds: (Date.now() - victimStarted) / 1000 })
      const why = unexplainedWhy(finding, budgetUsed ? options.budget : undefined)
      if (why) left.push({ test: finding.victim, why })
      // One cause, many victims: the run's later failures are checked against these polluters.
      if (finding.kind === 'victim' && !finding.interrupted) {
        const checks = { execute: (plan: Plan) => executors.run(plan), jobs: executors.size, alone, signal: controller.signal, progress }
        for (const f of await checkOthers(jobs, victim, finding, checks)) findings.push({ ...f, run: part.id, command: reproduce(part.id, f, options) })
      }
    }
  } finally {
    clearTimeout(budget)
    if (executors.note && !options.json) process.stderr.write(`flakeseed: ${executors.note}\n`)
    // After Ctrl-C, Vitest may wait a minute for workers the signal killed: not for that.
    const all = async () => {
      await executors.close()
      if (isolated) await (await isolated).close()
    }
    if (controller.signal.aborted) await Promise.race([all().catch(() => {}), new Promise((r) => setTimeout(r, 1000))])
    else await all()
    process.off('SIGINT', onSigint)
  }

  // Findings are history too: later commands (flaky, the HTML report) know the cause.
  try {
    const writable = Store.open(dbPath(options))
    try {
      for (const f of findings) if (!f.interrupted) saveFinding(writable, f.run, f, f.command)
    } finally {
      writable.close()
    }
  } catch (error) {
    process.stderr.write(`flakeseed: could not save the findings: ${(error as Error).message}\n`)
  }

  if (options.json) {
    const shaped = findings.map(reportOf)
    // --new and --budget say what was left: one document with both.
    if (options.new || options.budget) printJson({ findings: shaped, left })
    else printJson(shaped.length === 1 ? shaped[0] : shaped)
  } else {
    for (const f of findings) console.log(describeReport(reportOf(f)))
    for (const block of causeSummary(findings.map(reportOf))) console.log(block)
    if ((options.new || options.budget) && left.length)
      console.log(leftLine(findings.length + left.filter((l) => !findings.some((f) => f.victim === l.test)).length, left))
  }
  if (stopped) {
    process.stderr.write(`${stopped}\n`)
    return EXIT.usage
  }
  const code = findings.some((f) => f.kind === 'victim' || f.kind === 'brittle') ? EXIT.found : EXIT.ok
  // Interrupted: what Vitest left running (a probe, its pool's timers) must not keep us.
  if (controller.signal.aborted) process.exit(code)
  return code
}

/**
 * The suspects the history gives for a test, for bisect to try first: those with the best score
 * (at least SHOWN_SCORE), of the best suspect's role, all of them when tied (bisect decides whether
 * so many are worth trying). A wrong suspect costs one probe.
 */
function historySuspects(store: Store, test: string): { polluters?: string[]; setters?: string[] } | undefined {
  const ranked = rankSuspects(suspectRuns(store, test))
  const top = ranked[0]
  if (!top || top.score < SHOWN_SCORE) return undefined
  const best = ranked.filter((s) => s.role === top.role && s.score === top.score).map((s) => s.test)
  return top.role === 'polluter' ? { polluters: best } : { setters: best }
}

/**
 * The failing tests after `victim` in its run's part checked against its finding's polluters; the
 * explained ones are taken out of `jobs` (only jobs after the one being run: the loop over `jobs`
 * then never reaches them) and returned as findings.
 */
async function checkOthers(
  jobs: Array<{ victim: RecordedTest; run: RunRow; order: RecordedTest[] }>,
  victim: RecordedTest,
  cause: Finding,
  checks: Pick<VictimCheckInput, 'execute' | 'jobs' | 'alone' | 'signal'> & { progress: ReturnType<typeof makeProgress> },
): Promise<ExplainedFinding[]> {
  const at = jobs.findIndex((j) => j.victim === victim)
  const { run, order } = jobs[at]!
  const others = jobs.slice(at + 1).filter((j) => j.run.id === run.id)
  if (!others.length) return []
  checks.progress.event({ type: 'phase', phase: `checking ${others.length} other failing tests against these polluters` })
  const found = await explainedVictims({ ...checks, cause, failing: order, isolate: run.isolate ?? true, others: others.map((j) => j.victim) })
  checks.progress.done()
  const explained = new Set(found.map((f) => f.victim))
  for (let k = jobs.length - 1; k > at; k--) if (explained.has(idOf(jobs[k]!.victim))) jobs.splice(k, 1)
  return found
}

/** Probes side by side at most, whatever the cores. */
const MAX_JOBS = 4

/**
 * One probe keeps more than one core busy (its worker, and Vitest's main thread serving it), so
 * probes side by side only pay where cores are left over: one fewer than the cores, 1 on 2 cores
 * (measured on the bisect bench, bench/README.md).
 */
function defaultJobs(): number {
  return Math.max(1, Math.min(MAX_JOBS, availableParallelism() - 1))
}

function positiveSeconds(value: string): number {
  const seconds = parseSeconds(value)
  const check = checkBudget(seconds)
  if (check === 'too-long') throw new InvalidArgumentError(`must be at most ${MAX_BISECT_BUDGET} seconds (24 h)`)
  if (check !== 'ok') throw new InvalidArgumentError('must be a number of seconds above 0')
  return seconds!
}

/**
 * The run's failing tests the history does not explain yet: no finding, not known broken, not
 * non-deterministic. New failures first (those never seen failing before), then the rest.
 */
function unexplained(store: Store, runId: number): string[] {
  const findings = latestFindings(store)
  return classifyFailures(store, runId)
    .filter(
      (n) =>
        !findings.has(n.test) &&
        // `failing`: never passed, but never ran first either, so an order may be the cause.
        (n.class === 'new' || n.class === 'suspected-order-dependent' || n.class === 'order-dependent' || n.class === 'failing'),
    )
    .map((n) => n.test)
}

/**
 * The failures in the order they can be explained: those with suspects in the history first, then
 * new ones (never failed before), then the rest, and last those that failed every recorded run
 * (known broken: bisect has nothing to find there). Stable within each group.
 */
function orderWork(store: Store, jobs: Array<{ victim: RecordedTest; run: RunRow }>, suspectsOf: ReadonlyMap<string, unknown>): void {
  const seen = new Map<string, { isNew: boolean; failedEvery: boolean }>()
  for (const runId of new Set(jobs.map((j) => j.run.id))) for (const [test, h] of failureHistory(store, runId)) seen.set(test, h)
  const rank = (test: string) => {
    const h = seen.get(test)
    if (suspectsOf.get(test)) return 0
    if (!h || h.isNew) return 1
    return h.failedEvery ? 3 : 2
  }
  const ranked = jobs.map((job, index) => ({ job, index, rank: rank(idOf(job.victim)) }))
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index)
  jobs.splice(0, jobs.length, ...ranked.map((r) => r.job))
}

/** Per failing test of `runId`: first failure in the recorded runs, or failed in every one (at least two). */
function failureHistory(store: Store, runId: number): Map<string, { isNew: boolean; failedEvery: boolean }> {
  const { histories } = flakyWindow(store, { tests: store.failedTestIds(runId), orderKeys: executionKeys, keepRun: runId })
  return new Map(
    histories.map((h) => [
      h.test,
      {
        isNew: !h.outcomes.some((o) => o.run !== runId && o.state === 'failed'),
        failedEvery: h.outcomes.length > 1 && h.outcomes.every((o) => o.state === 'failed'),
      },
    ]),
  )
}

/** Why a finding leaves its test without a cause; undefined when it found one. */
function unexplainedWhy(f: Finding, budget: number | undefined): string | undefined {
  if (f.interrupted) {
    const partial = f.polluters.length + f.stateSetters.length > 0
    return budget ? `budget of ${budget} s used up${partial ? ' (the smallest set found so far is above)' : ' before a culprit was found'}` : 'interrupted'
  }
  if (f.kind === 'independent') return 'independent: fails alone, no earlier test involved'
  if (f.kind === 'nod' || f.kind === 'not-reproduced') return 'non-deterministic: the same order passed and failed'
  return undefined
}

/** `flakeseed: 1 of 3 failures explained; left: a > b (budget of 120 s used up), …` */
function leftLine(total: number, left: ReadonlyArray<{ test: string; why: string }>): string {
  return `flakeseed: ${total - left.length} of ${total} failure${total === 1 ? '' : 's'} explained; left: ${left.map((l) => `${l.test} (${l.why})`).join(', ')}`
}

function hasTest(order: RecordedTest[], test: string): boolean {
  try {
    return selectTests(order, [test]).length > 0
  } catch {
    return false
  }
}

/** The one command that shows the failure again. */
function reproduce(runId: number, f: Finding, options: Options): string {
  return replayCommand(runId, {
    only: f.kind === 'victim' ? [...f.polluters, f.victim] : [f.victim],
    repeat: f.kind === 'nod' || f.kind === 'not-reproduced' ? NOD_REPEAT : undefined,
    ...commandOptions(options),
    config: options.config,
  })
}

/** Progress on a terminal: probe k, candidates left, best set so far, elapsed time; nothing under --json. */
function makeProgress(json: boolean, started: number) {
  const tty = process.stderr.isTTY && !json
  let line = ''
  const write = (text: string) => {
    if (!tty) return
    line = text
    process.stderr.write(`\r\x1b[K${text}`)
  }
  return {
    start(victim: string) {
      write(`bisecting ${visible(victim)}`)
    },
    event(e: BisectProgress) {
      const elapsed = `${((Date.now() - started) / 1000).toFixed(1)} s`
      if (e.type === 'phase') write(`${e.phase} · ${elapsed}`)
      else if (e.type === 'probe') write(`probe ${e.probe}: ${e.candidates} tests before the victim → ${e.outcome} · ${elapsed}`)
      else write(`${e.remaining} candidates left · best so far ${e.best} · ${elapsed}`)
    },
    done() {
      if (tty && line) process.stderr.write('\r\x1b[K')
    },
  }
}
