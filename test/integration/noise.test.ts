// Flakiness stats that ignore noise, on a real recorded history: a run in which most tests failed
// (an outage) is left out of `flaky` and the report, and said to be; a test that failed and then
// passed on Vitest's retry is a flaky outcome of its run, classed non-deterministic; and an
// `auto` quarantine policy picks such a test from the history.
import { beforeAll, describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { config, createProject, type Project } from '../helpers/project.js'

const RETRIED = testId('', 'test/n.test.ts', 'retried')
const OUTAGE = [1, 2, 3, 4].map((i) => testId('', 'test/n.test.ts', `t${i}`))

interface Row {
  test: string
  runs: number
  failures: number
  failRate: number | null
  class: string
  reason: string
  retriedRuns: number
  retries: number
  command: string
}

const FILES = {
  'vitest.config.ts': config('', 'fileParallelism: false'),
  'test/n.test.ts': [
    `import { test } from 'vitest'`,
    // An outage (OUTAGE set) fails four of the five tests: 80 %.
    ...[1, 2, 3, 4].map((i) => `test('t${i}', () => { if (process.env.OUTAGE) throw new Error('ECONNREFUSED 127.0.0.1:5432') })`),
    // Fails on its first attempt when FIRST_TRY_FAILS is set; a retry (same module, same order) passes.
    `let attempts = 0`,
    `test('retried', () => { if (process.env.FIRST_TRY_FAILS && attempts++ === 0) throw new Error('first try fails') })`,
    '',
  ].join('\n'),
}

describe('noise', () => {
  let project: Project

  beforeAll(async () => {
    project = createProject(FILES)
    // Runs 1–6: run 2 an outage, run 4 the retried test needs its retry; the others pass.
    const runs: Array<[string[], NodeJS.ProcessEnv, number]> = [
      [[], {}, 0],
      [[], { OUTAGE: '1' }, 1],
      [[], {}, 0],
      [['--retry=1'], { FIRST_TRY_FAILS: '1' }, 0],
      [[], {}, 0],
      [[], {}, 0],
    ]
    for (const [args, env, code] of runs) {
      const result = await project.runVitest(args, env)
      expect(result.code, result.output).toBe(code)
    }
  }, 300_000)

  test('a run in which 80% of the tests failed is left out of flaky, which says so; a higher limit keeps it', async () => {
    const text = await project.runCli(['flaky'])
    expect(text.code, text.output).toBe(0)
    const lines = text.stdout.split('\n')
    expect(lines[0]).toBe('1 flaky test in the last 6 runs (runs 1–6), most disruptive first')
    expect(lines[1]).toBe('1 run left out: more than 50% of its tests failed (run 2 (80%); --max-run-failure-rate 100 keeps them)')
    // The outage's failures are not the tests' own: none of them is listed, and the retried test has 5 outcomes, not 6.
    const rows = await project.runCliJson<Row[]>(['flaky'])
    expect(rows.map((r) => r.test)).toEqual([RETRIED])
    expect(rows[0]).toMatchObject({ runs: 5 })

    // 80% is not more than 80%: kept, and the four outage tests are flaky again (1 failure in 6).
    const kept = await project.runCliJson<Row[]>(['flaky', '--max-run-failure-rate', '80%'])
    expect(kept.map((r) => r.test).sort()).toEqual([...OUTAGE, RETRIED].sort())
    expect(kept.find((r) => r.test === OUTAGE[0])).toMatchObject({ runs: 6, failures: 1 })
    expect((await project.runCli(['flaky', '--max-run-failure-rate', '80'])).stdout).not.toContain('left out')
    expect((await project.runCli(['flaky', '--max-run-failure-rate', '79'])).stdout).toContain(
      '1 run left out: more than 79% of its tests failed (run 2 (80%);',
    )
    const bad = await project.runCli(['flaky', '--max-run-failure-rate', '0'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe(
      "flakeseed: option '--max-run-failure-rate <percent>' argument '0' is invalid. must be a percentage above 0 and at most 100 (e.g. 50 or 50%) (see flakeseed flaky --help)\n",
    )

    // The HTML report leaves the same run out, and says so too.
    const report = await project.runCli(['report', '--html', 'out/report.html'])
    expect(report.stdout).toBe(
      'flakeseed report: 6 runs, 1 flaky test → out/report.html\n1 run left out: more than 50% of its tests failed (run 2 (80%); --max-run-failure-rate 100 keeps them)\n',
    )
    expect(project.read('out/report.html')).toContain('1 run left out of rates and classes: more than 50% of its tests failed (run 2 (80%))')
  })

  test('a test that failed, then passed on a retry in one run, is counted flaky and classed non-deterministic', async () => {
    const [row] = await project.runCliJson<Row[]>(['flaky'])
    expect(row).toMatchObject({
      test: RETRIED,
      runs: 5,
      failures: 1,
      failRate: 0.2,
      retriedRuns: 1,
      retries: 1,
      class: 'non-deterministic',
      reason: 'failed, then passed on a retry in run 4',
      command: `npx flakeseed replay 4 --only '${RETRIED}' --repeat 20`,
    })
    const table = (await project.runCli(['flaky', '--include-retries'])).stdout.split('\n')
    expect(table[3]).toMatch(/^fails\s+rate\s+flip\s+entropy\s+retried\s+retries\s+class\s+test$/)
    // Two more columns: the test id is cut to 80 columns, and given whole below.
    expect(table[4]).toMatch(/^1\/5\s+20%\s+50%\s+0\.72\s+1\s+1\s+non-deterministic\s+….* > retried$/)
    expect(table[5]).toBe(`      ${RETRIED}`)
    expect((await project.runCli(['flaky'])).stdout).not.toContain('retries')
  })

  test('quarantine auto quarantines the tests whose class in the history is one it names, and the run says which', async () => {
    const copy = project.copy()
    copy.write({ 'vitest.config.ts': config(`{ quarantine: { auto: ['non-deterministic'] } }`, 'fileParallelism: false') })
    // Its first attempt fails and there is no retry now: only the policy keeps the run green.
    const result = await copy.runVitest([], { FIRST_TRY_FAILS: '1' })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain(
      `flakeseed quarantine auto (non-deterministic): 1 test quarantined by its class in the history: ${RETRIED} (non-deterministic)\n`,
    )
    expect(result.output).toContain(`  quarantined  ${RETRIED}  failed (auto: non-deterministic, failed, then passed on a retry in run 4)\n`)

    // A policy naming other classes leaves it alone: the same failure fails the run.
    const other = project.copy()
    other.write({ 'vitest.config.ts': config(`{ quarantine: { auto: ['order-dependent'] } }`, 'fileParallelism: false') })
    const failing = await other.runVitest([], { FIRST_TRY_FAILS: '1' })
    expect(failing.code, failing.output).toBe(1)
    expect(failing.output).not.toContain('quarantine')
  })
})
