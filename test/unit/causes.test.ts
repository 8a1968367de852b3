import { describe, expect, test } from 'vitest'
import { causeGroups, causeHeader, causeSummary } from '../../src/analysis/causes.js'
import { analyse, type RunOutcome } from '../../src/analysis/flakiness.js'
import { type BisectReport, describeReport } from '../../src/bisect/report.js'
import { esc, renderReport } from '../../src/html-report/render.js'
import type { StoredFinding } from '../../src/store/findings.js'

const victim = (test: string, polluters: string[]) => ({ test, finding: { kind: 'victim', polluters } })

describe('causeGroups', () => {
  test('victims of the same polluters (in any order) are one group, in the order given; a lone victim is no group', () => {
    const groups = causeGroups([
      { test: 'v1', finding: { kind: 'victim', polluters: ['p'], fix: { suggestion: 'guessed', verified: false } } },
      { test: 'b', finding: { kind: 'brittle', polluters: [] } },
      victim('w1', ['q', 'r']),
      { test: 'none', finding: null },
      { test: 'v2', finding: { kind: 'victim', polluters: ['p'], fix: { suggestion: 'vi.useRealTimers()', verified: true } } },
      victim('w2', ['r', 'q']),
      victim('alone', ['s']),
      { test: 'indep', finding: { kind: 'independent', polluters: ['p'] } },
    ])
    expect(groups).toEqual([
      // Only a verified fix is shown, with the victim it was verified on.
      { polluters: ['p'], victims: ['v1', 'v2'], fix: { suggestion: 'vi.useRealTimers()', victim: 'v2' } },
      { polluters: ['q', 'r'], victims: ['w1', 'w2'] },
    ])
  })

  test('the header says how many polluters and victims', () => {
    expect(causeHeader({ polluters: ['p'], victims: ['a', 'b', 'c'] })).toBe('1 polluter, 3 victims: fix once')
    expect(causeHeader({ polluters: ['p', 'q'], victims: ['a', 'b'] })).toBe('2 polluters together, 2 victims: fix once')
  })
})

describe('victims under their cause, as bisect and the report print them', () => {
  const P = 'test/p.test.ts > <b>leaves</b> fake timers on'
  const report = (victim: string, explainedBy?: string): BisectReport => ({
    victim,
    kind: 'victim',
    polluters: [P],
    stateSetters: [],
    cleaners: [],
    probes: explainedBy ? 2 : 14,
    command: `npx flakeseed replay 2 --only '${P}' --only '${victim}'`,
    seconds: 1.25,
    ...(explainedBy ? { explainedBy } : {}),
  })

  test('a checked victim says whose polluter, that it was checked and not bisected, and its probes; the group follows the findings', () => {
    const reports = [report('test/a.test.ts > a'), report('test/b.test.ts > b', 'test/a.test.ts > a')]
    expect(describeReport(reports[1]!)).toBe(
      [
        'victim   test/b.test.ts > b',
        'class    order-dependent: fails after the polluter of test/a.test.ts > a, passes alone; checked, not bisected (2 probes, 1.3 s)',
        `polluter ${P}`,
        `reproduce: ${reports[1]!.command}`,
        '',
      ].join('\n'),
    )
    expect(causeSummary(reports)).toEqual([`1 polluter, 2 victims: fix once\n  polluter ${P}\n  victim   test/a.test.ts > a\n  victim   test/b.test.ts > b\n`])
    expect(causeSummary(reports.slice(0, 1))).toEqual([])
  })

  test('the HTML report groups them, every name escaped, each victim linked to its details', () => {
    const outcomes: RunOutcome[] = [
      { run: 1, seed: '1', commit: 'c', order: 'a', state: 'passed' },
      { run: 2, seed: '2', commit: 'c', order: 'b', state: 'failed' },
    ]
    const victims = ['test/a.test.ts > <i>a</i>', 'test/b.test.ts > b']
    const finding = (victim: string): StoredFinding => ({ ...report(victim), runId: 2, createdAt: 0 })
    const rows = analyse(
      victims.map((test) => ({ test, outcomes, finding: finding(test) })),
      { minRuns: 1 },
    )
    const html = renderReport({
      db: 'h.db',
      generatedAt: 0,
      runs: [],
      maxRunFailureRate: 0.5,
      tests: rows.map((row) => ({ row, outcomes, finding: finding(row.test), suspects: [] })),
    })
    expect(html).toContain('<h3>1 polluter, 2 victims: fix once</h3>')
    expect(html).toContain(`<li>polluter <code>${esc(P)}</code></li>`)
    expect(html).not.toContain('<b>leaves</b>')
    for (const v of victims) {
      const i = rows.findIndex((r) => r.test === v)
      expect(html).toContain(`<li>victim <a href="#d${i}"><code>${esc(v)}</code></a></li>`)
    }
  })
})
