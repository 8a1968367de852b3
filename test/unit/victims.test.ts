// One cause, many victims, against a fake Vitest: a test fails when the polluter ran before it in
// the plan (or always, for a plain failure); the checks' probes are counted exactly.
import { describe, expect, test } from 'vitest'
import { explainedVictims } from '../../src/bisect/victims.js'
import { FlakeseedError } from '../../src/core/errors.js'
import type { PlanResult } from '../../src/run/execute.js'
import type { Finding, RecordedTest } from '../../src/core/model.js'
import type { Plan } from '../../src/core/order.js'

/** One test per file, files in this order, one worker (`isolate: false`). */
function order(names: string[], failing: string[], worker = (_: string) => 1): RecordedTest[] {
  return names.map((name, i) => ({
    project: '',
    file: `test/${name}.test.ts`,
    name,
    fileIndex: i,
    testIndex: 0,
    worker: worker(name),
    state: failing.includes(name) ? 'failed' : 'passed',
  }))
}

const id = (name: string) => `test/${name}.test.ts > ${name}`
const CAUSE: Finding = { victim: id('a'), kind: 'victim', polluters: [id('p')], stateSetters: [], cleaners: [], probes: 9 }

/** A fake executor: `broken` fail always; the others fail when `p` ran before them. Plans are counted. */
function fake(broken: string[] = []) {
  const plans: string[][] = []
  const execute = async (plan: Plan): Promise<PlanResult> => {
    const names = plan.files.flatMap((f) => f.tests)
    plans.push(names)
    const victim = names.at(-1)!
    const failed = broken.includes(victim) || names.slice(0, -1).includes('p')
    return { states: new Map([[id(victim), failed ? 'failed' : 'passed']]), errors: new Map(), missing: [], unhandled: 0 }
  }
  return { plans, execute }
}

describe('explainedVictims', () => {
  test('each other failure after the polluter: polluter + it, then it alone; two probes each, explained by the bisected victim', async () => {
    const failing = order(['x', 'p', 'a', 'b', 'y', 'c'], ['a', 'b', 'c'])
    const { plans, execute } = fake()
    const found = await explainedVictims({ cause: CAUSE, failing, isolate: false, others: failing.filter((t) => ['b', 'c'].includes(t.name)), execute })
    expect(found.map((f) => ({ victim: f.victim, kind: f.kind, polluters: f.polluters, probes: f.probes, explainedBy: f.explainedBy }))).toEqual([
      { victim: id('b'), kind: 'victim', polluters: [id('p')], probes: 2, explainedBy: id('a') },
      { victim: id('c'), kind: 'victim', polluters: [id('p')], probes: 2, explainedBy: id('a') },
    ])
    expect(plans).toEqual([['p', 'b'], ['b'], ['p', 'c'], ['c']])
  })

  test('a failure that fails alone too is not explained (left for its own bisect); one that passes after the polluter costs one probe', async () => {
    const failing = order(['p', 'a', 'broken', 'lucky'], ['a', 'broken', 'lucky'])
    const { plans, execute } = fake(['broken'])
    // `lucky` passes after p in this fake: p is not its cause.
    const executeLucky = async (plan: Plan) =>
      plan.files.at(-1)!.tests[0] === 'lucky' ? { ...(await execute(plan)), states: new Map([[id('lucky'), 'passed' as const]]) } : execute(plan)
    const found = await explainedVictims({ cause: CAUSE, failing, isolate: false, others: failing.slice(2), execute: executeLucky })
    expect(found).toEqual([])
    expect(plans).toEqual([['p', 'broken'], ['broken'], ['p', 'lucky']])
  })

  test('not checked: a test the polluter did not run before in its process (another worker, an isolated file, earlier)', async () => {
    const failing = order(['b', 'p', 'a', 'c', 'd'], ['b', 'a', 'c', 'd'], (n) => (n === 'c' ? 2 : 1))
    const { plans, execute } = fake()
    const others = failing.filter((t) => ['b', 'c'].includes(t.name))
    expect(await explainedVictims({ cause: CAUSE, failing, isolate: false, others, execute })).toEqual([])
    expect(await explainedVictims({ cause: CAUSE, failing, isolate: true, others: failing.filter((t) => t.name === 'd'), execute })).toEqual([])
    expect(plans).toEqual([])
  })

  test('what a test did alone is known after one check: a second cause costs one probe', async () => {
    const failing = order(['q', 'p', 'a', 'b'], ['a', 'b'])
    const { plans, execute } = fake()
    const alone = new Map<string, boolean>()
    const other = { ...CAUSE, polluters: [id('q')] }
    // In this fake b fails after q too: explained by q, and what it did alone is kept.
    const qFirst = await explainedVictims({
      cause: other,
      failing,
      isolate: false,
      others: failing.slice(3),
      execute: async (plan) => {
        const r = await execute(plan)
        return plan.files.length === 2 ? { ...r, states: new Map([[id('b'), 'failed' as const]]) } : r
      },
      alone,
    })
    expect(qFirst).toHaveLength(1)
    expect(alone.get(id('b'))).toBe(false)
    const found = await explainedVictims({ cause: CAUSE, failing, isolate: false, others: failing.slice(3), execute, alone })
    expect(found.map((f) => [f.victim, f.probes])).toEqual([[id('b'), 1]])
    expect(plans.slice(2)).toEqual([['p', 'b']])
  })

  test('several polluters: all of them, in their recorded order, before the test; the describe carries over', async () => {
    const failing = order(['p2', 'x', 'p', 'a', 'b'], ['a', 'b'])
    const { plans, execute } = fake()
    const cause = { ...CAUSE, polluters: [id('p2'), id('p')], describe: 'test/p.test.ts > d' }
    const found = await explainedVictims({ cause, failing, isolate: false, others: failing.slice(4), execute })
    expect(found[0]).toMatchObject({ polluters: [id('p2'), id('p')], describe: 'test/p.test.ts > d', probes: 2 })
    expect(plans[0]).toEqual(['p2', 'p', 'b'])
  })

  test('with two jobs, the two probes of a check go side by side', async () => {
    const failing = order(['p', 'a', 'b'], ['a', 'b'])
    let running = 0
    let most = 0
    const { execute } = fake()
    const slow = async (plan: Plan) => {
      most = Math.max(most, ++running)
      await new Promise((r) => setTimeout(r, 10))
      running--
      return execute(plan)
    }
    const found = await explainedVictims({ cause: CAUSE, failing, isolate: false, others: failing.slice(2), execute: slow, jobs: 2 })
    expect(found.map((f) => f.probes)).toEqual([2])
    expect(most).toBe(2)
  })

  test('a probe that stops on a condition (the project changed): what was confirmed stands, nothing more is claimed', async () => {
    const failing = order(['p', 'a', 'b', 'c'], ['a', 'b', 'c'])
    const { plans, execute } = fake()
    const stopping = async (plan: Plan) => {
      if (plans.length === 3) throw new FlakeseedError('flakeseed: src/app.ts changed while bisect ran')
      return execute(plan)
    }
    const found = await explainedVictims({ cause: CAUSE, failing, isolate: false, others: failing.slice(2), execute: stopping })
    expect(found.map((f) => f.victim)).toEqual([id('b')])
    // Anything else is a bug: it is not swallowed.
    const broken = async () => {
      throw new TypeError('bug')
    }
    await expect(explainedVictims({ cause: CAUSE, failing, isolate: false, others: failing.slice(2), execute: broken })).rejects.toThrow('bug')
  })

  test('stopped (Ctrl-C, budget): nothing more is checked or claimed', async () => {
    const failing = order(['p', 'a', 'b', 'c'], ['a', 'b', 'c'])
    const { plans, execute } = fake()
    const controller = new AbortController()
    const stopping = async (plan: Plan) => {
      controller.abort()
      return execute(plan)
    }
    expect(await explainedVictims({ cause: CAUSE, failing, isolate: false, others: failing.slice(2), execute: stopping, signal: controller.signal })).toEqual(
      [],
    )
    expect(plans.length).toBe(1)
  })
})
