// Which failing tests of a recorded run a bisect session explains, in which order, and what the
// history gives each of them before any probe: its suspects and the runs where it passed.
import { executionKeys } from '../analysis/flakiness.js'
import { rankSuspects, SHOWN_SCORE } from '../analysis/suspects.js'
import { FlakeseedError } from '../core/errors.js'
import { someOf, visible } from '../core/format.js'
import type { RecordedTest } from '../core/model.js'
import { idOf } from '../core/names.js'
import { classifyFailures } from '../history/failures.js'
import { failedTypeChecks, recordedOrder, selectTests, typeChecksNote } from '../run/selection.js'
import { latestFindings, runsWhereTestPassed } from '../store/findings.js'
import { flakyWindow } from '../store/flaky.js'
import type { RunRow, Store } from '../store/index.js'
import { logicalRun } from '../store/shards.js'
import { suspectRuns } from '../store/suspects.js'

/** A failing test with the recorded order it failed in: its own shard's, for a sharded run. */
export interface BisectJob {
  victim: RecordedTest
  run: RunRow
  order: RecordedTest[]
}

export type Suspects = { polluters?: string[]; setters?: string[] } | undefined

/** One part of a logical run (a shard of a build, or the run itself) with its executed order. */
type Part = Pick<BisectJob, 'run' | 'order'>

/** Which failures to bisect: one test (`test`), the unexplained ones (`new`), or all. */
export interface JobChoice {
  test?: string
  new?: boolean
}

/** The shards of one build are one run: `last` is its last shard, and a failure may be in any. */
export function partsOf(store: Store, run: RunRow): Part[] {
  return logicalRun(store, run).map((part) => ({ run: part, order: recordedOrder(store.results(part.id)) }))
}

/**
 * The failing tests to bisect. An empty list only for `new` (every failure is explained already);
 * a run with nothing to bisect otherwise is a user error naming what it has.
 */
export function chooseJobs(store: Store, run: RunRow, parts: readonly Part[], choice: JobChoice): BisectJob[] {
  const jobs: BisectJob[] = []
  if (choice.test) jobs.push(...namedJobs(run, parts, choice.test))
  else if (choice.new) {
    for (const part of parts) {
      for (const id of unexplained(store, part.run.id)) {
        const victim = part.order.find((t) => idOf(t) === id)
        if (victim) jobs.push({ victim, ...part })
      }
    }
    return jobs
  } else for (const part of parts) for (const victim of part.order.filter((t) => t.state === 'failed')) jobs.push({ victim, ...part })
  if (!jobs.length) {
    const which = parts.length > 1 ? `runs ${parts.map((p) => p.run.id).join(', ')} (shards of one run) have` : `run ${run.id} has`
    const checks = typeChecksOf(store, parts)
    throw new FlakeseedError(`flakeseed: ${which} no failing test${checks ? ` to bisect, only ${checks}` : ' (pick one with --test)'}`)
  }
  return jobs
}

/** `2 failed type checks`, or undefined: what a run failed that no bisect looks into. */
export function typeChecksOf(store: Store, parts: readonly Part[]): string | undefined {
  return typeChecksNote(parts.reduce((n, p) => n + failedTypeChecks(store.results(p.run.id)), 0))
}

/** The failures of the test the user named (`--test`); it must have failed. */
function namedJobs(run: RunRow, parts: readonly Part[], test: string): BisectJob[] {
  const failed = (p: Part) => hasTest(p.order, test) && selectTests(p.order, [test]).some((t) => t.state === 'failed')
  const part = parts.find(failed) ?? parts.find((p) => hasTest(p.order, test)) ?? parts.find((p) => p.run.id === run.id)!
  const victims = selectTests(part.order, [test]).filter((t) => t.state === 'failed')
  // A test that passed explains nothing: bisecting it would only store a wrong finding.
  if (!victims.length) {
    const failing = parts.flatMap((p) => p.order.filter((t) => t.state === 'failed').map((t) => visible(idOf(t))))
    const which = parts.length > 1 ? `runs ${parts.map((p) => p.run.id).join(', ')} (shards of one run)` : `run ${run.id}`
    throw new FlakeseedError(
      `flakeseed: "${visible(test)}" did not fail in ${which}; ${failing.length ? `its failing tests: ${someOf(failing)}` : 'no test failed in it'}`,
    )
  }
  return victims.map((victim) => ({ victim, ...part }))
}

function hasTest(order: RecordedTest[], test: string): boolean {
  try {
    return selectTests(order, [test]).length > 0
  } catch {
    return false
  }
}

/**
 * The suspects the history gives for a test, for bisect to try first: those with the best score
 * (at least SHOWN_SCORE), of the best suspect's role, all of them when tied (bisect decides whether
 * so many are worth trying). A wrong suspect costs one probe.
 */
export function historySuspects(store: Store, test: string): Suspects {
  const ranked = rankSuspects(suspectRuns(store, test))
  const top = ranked[0]
  if (!top || top.score < SHOWN_SCORE) return undefined
  const best = ranked.filter((s) => s.role === top.role && s.score === top.score).map((s) => s.test)
  return top.role === 'polluter' ? { polluters: best } : { setters: best }
}

/** The recorded runs where the victim passed, for brittle tests and cleaners. */
export function passingRunsOf(store: Store, job: BisectJob): Array<{ results: RecordedTest[]; isolate: boolean }> {
  return runsWhereTestPassed(store, idOf(job.victim), job.run.id).map((id) => {
    const other = store.resolveRun(String(id))
    return { results: recordedOrder(store.results(id)), isolate: other.isolate ?? true }
  })
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
export function orderWork(store: Store, jobs: BisectJob[], suspectsOf: ReadonlyMap<string, unknown>): void {
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
