// One cause, many victims: after a bisect names a test's polluters, the run's other failing tests
// are checked against the same polluters before anyone bisects them. One polluter that leaves
// fake timers on can fail a dozen tests of other files; one bisect and two probes each say so.
import { FlakeseedError } from '../core/errors.js'
import type { PlanResult } from '../run/execute.js'
import type { Finding, RecordedTest } from '../core/model.js'
import { idOf } from '../core/names.js'
import type { Plan } from '../core/order.js'
import { planOf } from '../run/selection.js'
import { earlierTests, untilAborted } from './coordinator.js'

/** A failing test explained by another victim's polluters, without a bisect of its own. */
export interface ExplainedFinding extends Finding {
  kind: 'victim'
  /** The victim whose bisect found the polluters. */
  explainedBy: string
  /** Time the check took. */
  seconds: number
}

export interface VictimCheckInput {
  /** A bisect's finding of kind `victim`: its polluters (and describe, when its hooks are the cause). */
  cause: Finding
  /** The failing run's results, in executed order (the run the cause was found in). */
  failing: readonly RecordedTest[]
  isolate: boolean
  /** The run's other failing tests still to explain, in the order they would be bisected. */
  others: readonly RecordedTest[]
  execute(plan: Plan): Promise<PlanResult>
  /** Probes `execute` may run at once: the two probes of one check then go side by side. */
  jobs?: number
  /**
   * What each test did alone in earlier checks of this bisect (test id → failed): a test checked
   * against a second cause is not run alone twice.
   */
  alone?: Map<string, boolean>
  signal?: AbortSignal
}

/**
 * The tests of `others` that fail after the cause's polluters (run in their recorded order, then
 * the test) and pass alone: at most two probes each. A test the polluters did not run before in
 * its process (another worker, an isolated file) is not checked; a test that does not fail with
 * them, or fails alone too, is left for its own bisect.
 */
export async function explainedVictims(input: VictimCheckInput): Promise<ExplainedFinding[]> {
  const polluters = new Set(input.cause.polluters)
  const alone = input.alone ?? new Map<string, boolean>()
  const explained: ExplainedFinding[] = []
  for (const test of input.others) {
    if (input.signal?.aborted) break
    const id = idOf(test)
    const started = Date.now()
    const before = earlierTests(input.failing, id, input.isolate).filter((t) => polluters.has(idOf(t)))
    if (!polluters.size || before.length !== polluters.size) continue
    let outcome: Awaited<ReturnType<typeof check>>
    try {
      outcome = await check(input, test, before, alone)
    } catch (error) {
      // A condition a probe stops on (the project changed under the bisect): what was confirmed
      // stands, the rest stay for their own bisects, which meet the condition and say so.
      if (error instanceof FlakeseedError) break
      throw error
    }
    if (input.signal?.aborted) break
    if (!outcome.explained) continue
    explained.push({
      victim: id,
      kind: 'victim',
      polluters: input.cause.polluters,
      ...(input.cause.describe ? { describe: input.cause.describe } : {}),
      stateSetters: [],
      cleaners: [],
      probes: outcome.probes,
      explainedBy: input.cause.victim,
      seconds: (Date.now() - started) / 1000,
    })
  }
  return explained
}

/** Polluters + test (fails?) and, unless already known, the test alone (passes?). */
async function check(input: VictimCheckInput, test: RecordedTest, polluters: readonly RecordedTest[], alone: Map<string, boolean>) {
  const id = idOf(test)
  const failed = async (tests: readonly RecordedTest[]) =>
    (await untilAborted(input.execute(planOf([...tests, test])), input.signal, STOPPED)).states.get(id) === 'failed'
  const knownAlone = alone.get(id)
  if (knownAlone === undefined && (input.jobs ?? 1) > 1) {
    const [withPolluters, byItself] = await Promise.all([failed(polluters), failed([])])
    alone.set(id, byItself)
    return { explained: withPolluters && !byItself, probes: 2 }
  }
  if (!(await failed(polluters))) return { explained: false, probes: 1 }
  if (knownAlone !== undefined) return { explained: !knownAlone, probes: 1 }
  const byItself = await failed([])
  alone.set(id, byItself)
  return { explained: !byItself, probes: 2 }
}

/** What a probe stopped by Ctrl-C or the budget answers at once: a "passed" nobody reads. */
const STOPPED = (): PlanResult => ({ states: new Map(), errors: new Map(), missing: [], unhandled: 0 })
