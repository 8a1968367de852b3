// The diagnosis' claims read the same in the bisect text and the job summary (issue 20, item 1):
// verified alone, verified together, ruled out, read from the source; never "verified" for a group.
import { describe, expect, test } from 'vitest'
import { markdownSummary } from '../../reporter/job-summary.js'
import { type BisectReport, describeReport } from '../../src/bisect/report.js'
import type { Leak } from '../../src/core/model.js'

const by = 'test/a.test.ts > pollutes'
const leak = (what: string, extra: Partial<Leak> = {}): Leak => ({ kind: 'env', what, before: '(unset)', after: "'1'", verified: false, by, ...extra })

function report(leaks: Leak[]): BisectReport {
  return {
    victim: 'test/a.test.ts > victim',
    kind: 'victim',
    polluters: [by],
    stateSetters: [],
    cleaners: [],
    probes: 9,
    command: 'npx flakeseed bisect 1',
    seconds: 1,
    leaks,
    fix: { suggestion: 'delete process.env.A1 in an afterEach of x; and delete process.env.A2 in an afterEach of x', verified: true, how: 'undo-rerun' },
  }
}

const facts = { runId: 1, seed: '1', failed: 1, quarantinedFailed: 0, status: 'failed', replay: 'npx flakeseed replay 1', bisect: undefined }

describe('claims in every output', () => {
  test('a group verified together says so in the bisect text and the job summary; no leak of it is called verified', () => {
    const r = report([
      leak('process.env.A1', { together: true }),
      leak('process.env.A2', { together: true }),
      leak('process.env.A3', { ruledOut: 'cause-alone' }),
    ])
    const text = describeReport(r)
    expect(text).toContain(
      "leaked   env process.env.A1: (unset) → '1'   verified together: one or more of these (the victim passes when they are restored together)",
    )
    expect(text).toContain("also     env process.env.A3: (unset) → '1'   (also left behind, not needed: undoing the cause alone was enough)")
    expect(text).not.toMatch(/verified: the victim passes when it is restored/)
    const summary = markdownSummary(facts, [], [], { findings: [r], left: [] })
    expect(summary).toContain('(verified together: one or more of these)')
    expect(summary).not.toContain('A3')
  })

  test('a leak no probe checked says so; a variable of the test file says it was read, not checked', () => {
    const text = describeReport(
      report([leak('process.env.A1'), { kind: 'scope', what: "api of describe 'd', assigned by 'pollutes'", before: '', after: '', verified: false, by }]),
    )
    expect(text).toContain("leaked   scope api of describe 'd', assigned by 'pollutes'   read from the test file, not checked by a probe")
    expect(text).toContain("also     env process.env.A1: (unset) → '1'   (also left behind, not checked)")
  })

  test('victims of one polluter share its patch: the job summary shows its diff once, naming them all', () => {
    const patch = (victim: string, diff: string) => ({ victim, remedy: 'vi.useRealTimers() after each test', diff, verified: 'checked' })
    const summary = markdownSummary(facts, [], [], {
      findings: [report([leak('process.env.A1', { verified: true })])],
      left: [],
      patches: [patch('test/a.test.ts > one', '+shared\n'), patch('test/a.test.ts > two', '+shared\n'), patch('test/b.test.ts > three', '+own\n')],
    })
    expect(summary.match(/^Patch for /gm)).toHaveLength(2)
    expect(summary).toContain('Patch for <code>test/a.test.ts &gt; one</code> (and <code>test/a.test.ts &gt; two</code>): ')
    expect(summary.match(/\+shared/g)).toHaveLength(1)
    expect(summary).toContain('Patch for <code>test/b.test.ts &gt; three</code>: ')
  })
})
