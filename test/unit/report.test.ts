import { describe, expect, test } from 'vitest'
import { analyse, type RunOutcome } from '../../src/analysis/flakiness.js'
import type { Suspect } from '../../src/analysis/suspects.js'
import { CELL_CODES, esc, renderReport } from '../../src/html-report/render.js'

const STATE_OF = Object.fromEntries(Object.entries(CELL_CODES).map(([state, code]) => [code, state]))
/** Every timeline's cells, decoded from the letters the page paints: one array per test. */
const timelines = (html: string) => [...html.matchAll(/<canvas class="strip"[^>]* data-t="(\w*)"/g)].map((m) => [...m[1]!].map((c) => STATE_OF[c]))

const NAME = `test/x.test.ts > <script>alert('x')</script> & "quoted"`
const SUSPECT: Suspect = {
  test: 'test/x.test.ts > <i>polluter</i>',
  role: 'polluter',
  before: { failing: 1, passing: 0 },
  runs: { failing: 1, passing: 1 },
  score: 1,
}

function data() {
  const outcomes: RunOutcome[] = [
    { run: 1, seed: '1', commit: 'c', order: 'a', state: 'passed' },
    { run: 2, seed: '<img src=x onerror=alert(1)>', commit: 'c', order: 'b', state: 'failed', error: 'Error: <b>bold</b>\n    at x' },
  ]
  const rows = analyse([{ test: NAME, outcomes }], { minRuns: 1 })
  return {
    db: '/tmp/<db>.db',
    generatedAt: 0,
    runs: [
      { id: 1, runs: [1], seed: '1', commit: 'c', branch: null, status: 'passed', startedAt: 0, passed: 3, failed: 0, skipped: 0, leftOut: false },
      {
        id: 2,
        runs: [2],
        seed: '<img src=x onerror=alert(1)>',
        commit: 'c',
        branch: '</title>',
        status: 'failed',
        startedAt: 1,
        passed: 2,
        failed: 1,
        skipped: 0,
        leftOut: false,
      },
    ],
    maxRunFailureRate: 0.5,
    tests: rows.map((row) => ({ row, outcomes, finding: null, suspects: [SUSPECT] })),
  }
}

describe('the HTML report', () => {
  test('escapes every name, seed, error and path, in text and attributes', () => {
    const html = renderReport(data())
    expect(html.match(/<script/g)).toHaveLength(1) // the report's own script only
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<b>bold')
    expect(html).toContain('(&#60;/title&#62;)') // the branch, in a bar's tooltip
    expect(html).toContain(esc(NAME))
    expect(html).toContain('Error: &#60;b&#62;bold&#60;/b&#62;')
    expect(html).toContain('/tmp/&#60;db&#62;.db')
    // The copy button carries the shell-quoted command in an attribute: quotes escaped too.
    expect(html).toContain(`data-copy="npx flakeseed bisect 2 --test &#39;test/x.test.ts &#62; &#60;script&#62;alert(&#39;\\&#39;&#39;x&#39;\\&#39;&#39;)`)
  })

  test('a test without a finding shows its suspects, escaped and marked statistical', () => {
    const html = renderReport(data())
    expect(html).toContain('<h4>Suspects (statistical, from the recorded orders; bisect verifies)</h4>')
    expect(html).toContain(
      '<li>suspect: <code>test/x.test.ts &#62; &#60;i&#62;polluter&#60;/i&#62;</code>&nbsp;— before it in 1/1 failing runs, 0/1 passing</li>',
    )
    expect(renderReport({ ...data(), tests: data().tests.map((t) => ({ ...t, suspects: [] })) })).not.toContain('Suspects')
  })

  test('draws one bar group per run and one timeline cell per run per test', () => {
    const html = renderReport(data())
    expect(html.match(/<g class="run">/g)).toHaveLength(2)
    expect(timelines(html)).toEqual([['pass', 'fail']])
    // The runs' tooltips and seed colours travel once, as escaped JSON, never as markup.
    const runs = /<div id="runs" hidden data-cell="\d+" data-runs="([^"]*)">/.exec(html)![1]!
    expect(runs).not.toMatch(/[<>"]/)
    const parsed = JSON.parse(runs.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))))
    expect(parsed.map((r: unknown[]) => r.slice(0, 3))).toEqual([
      ['run 1', '1', 'c'],
      ['run 2', '<img src=x onerror=alert(1)>', 'c'],
    ])
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/) // nothing to fetch: it opens offline
  })

  test('a brittle finding is class brittle; a replay is shown apart from the seeds, and no timeline cell', () => {
    const outcomes: RunOutcome[] = [
      { run: 1, seed: '1', commit: 'c', order: 'a', state: 'failed' },
      { run: 2, seed: '2', commit: 'c', order: 'b', state: 'passed' },
      { run: 3, seed: '1', commit: 'c', order: 'r', state: 'passed', evidence: 'replay' },
    ]
    const finding = { kind: 'brittle' as const, polluters: [], stateSetters: ['test/b.test.ts > setter'], command: null }
    const rows = analyse([{ test: 'test/b.test.ts > b', outcomes, finding }], { minRuns: 1 })
    const run = (id: number) => ({
      id,
      runs: [id],
      seed: String(id),
      commit: 'c',
      branch: null,
      status: 'passed',
      startedAt: id,
      passed: 1,
      failed: 0,
      skipped: 0,
      leftOut: false,
    })
    const html = renderReport({ ...data(), runs: [run(1), run(2)], tests: rows.map((row) => ({ row, outcomes, finding: null, suspects: [] })) })
    expect(html).toContain('<span class="badge c-brittle">brittle</span>')
    expect(html).toContain('<p>replayed: 1 passed (not seeds)</p>')
    expect(html).toMatch(/passed under <span class="seed"[^>]*>2<\/span><\/p>/)
    expect(timelines(html)).toEqual([['fail', 'pass']])
  })

  test('marks a pass after a retry, a quarantined failure and a run left out, in the timeline and the text', () => {
    const outcomes: RunOutcome[] = [
      { run: 1, seed: '1', commit: 'c', order: 'a', state: 'passed', retried: true, retries: 1 },
      { run: 2, seed: '2', commit: 'c', order: 'b', state: 'failed', quarantined: true, error: 'Error: flaky' },
      { run: 4, seed: '4', commit: 'c', order: 'd', state: 'passed' },
    ]
    const run = (id: number, passed: number, failed: number, leftOut = false) => ({
      ...{ id, runs: [id], seed: String(id), commit: 'c', branch: null, status: failed ? 'failed' : 'passed', startedAt: id },
      ...{ passed, failed, skipped: 0, leftOut },
    })
    const rows = analyse([{ test: 'test/q.test.ts > q', outcomes }], { minRuns: 5 })
    const html = renderReport({
      db: 'h.db',
      generatedAt: 0,
      runs: [run(1, 3, 0), run(2, 2, 1), run(3, 1, 4, true), run(4, 3, 0)],
      maxRunFailureRate: 0.5,
      tests: rows.map((row) => ({ row, outcomes, finding: null, suspects: [] })),
    })
    expect(timelines(html)).toEqual([['retry', 'quarantined', 'out', 'pass']])
    expect(html).toContain('1 run left out of rates and classes: more than 50% of its tests failed (run 3 (80%))')
    expect(html).toContain('Passed only on a retry in 1 of them (1 retries in all).')
    expect(html).toContain('1 of its failures came while it was quarantined and did not fail their run.')
    // Three outcomes, fewer than 5: no rate shown, in the table or the details.
    expect(html).toContain('Failed 2 of 3 runs: too few runs for a rate.')
    expect(html).toMatch(/<td class="num">–<\/td><td class="num">–<\/td><td class="num">–<\/td><td class="num">2\/3<\/td>/)
  })
})

describe('the top N tests in full, the rest compact', () => {
  const outcomes: RunOutcome[] = [
    { run: 1, seed: '1', commit: 'c', order: 'a', state: 'passed' },
    { run: 2, seed: '2', commit: 'c', order: 'b', state: 'failed', error: 'Error: boom' },
  ]
  // Five tests that failed once each, plus a sixth `<b>`-named one at the end of the list.
  const names = [...Array.from({ length: 5 }, (_, i) => `test/t.test.ts > t${i}`), 'test/t.test.ts > <b>last</b>']
  const rows = analyse(
    names.map((test) => ({ test, outcomes })),
    { minRuns: 1 },
  )
  const page = (top?: number) => renderReport({ ...data(), top, tests: rows.map((row) => ({ row, outcomes, finding: null, suspects: [] })) })

  test('--top 2: two rows with timeline and details, the other four in the compact list, and the page says so', () => {
    const html = page(2)
    expect(html.match(/<tr data-detail=/g)).toHaveLength(2)
    expect(timelines(html)).toHaveLength(2)
    expect(html.match(/<details id="d\d+"/g)).toHaveLength(2)
    const rest = /<table id="rest">[\s\S]*?<\/table>/.exec(html)![0]
    expect(rest.match(/<tr data-test=/g)).toHaveLength(4)
    expect(html).not.toContain('<b>last')
    expect(rest).not.toContain('<canvas')
    expect(html).toContain('Top 2 of 6 flaky tests in full; the other 4 in a compact list below (--top N shows more or fewer).')
    expect(html).toContain('<b>6</b><span>flaky tests</span>') // the cards count every test, not only those in full
    // Every test is in exactly one of the two lists.
    for (const name of names) expect(html.split(`<td class="test">${esc(name)}`).length - 1).toBe(1)
  })

  test('by default the top 50: six tests are all in full, with no compact list', () => {
    const html = page()
    expect(timelines(html)).toHaveLength(6)
    expect(html).not.toContain('<table id="rest">')
    expect(html).toContain('6 flaky tests, all in full.')
  })
})

test('a long window lists the newest 30 seeds of a test and counts the earlier ones', () => {
  const outcomes: RunOutcome[] = Array.from({ length: 45 }, (_, i) => ({
    run: i + 1,
    seed: `s${i + 1}`,
    commit: 'c',
    order: `o${i}`,
    state: i % 3 ? ('passed' as const) : ('failed' as const),
  }))
  const rows = analyse([{ test: 'test/s.test.ts > s', outcomes }], { minRuns: 1 })
  const html = renderReport({ ...data(), tests: rows.map((row) => ({ row, outcomes, finding: null, suspects: [] })) })
  // 15 failing seeds: all listed; 30 passing: all listed; with 45 failing ones, the oldest 15 would be counted.
  expect(html).toMatch(/failed under <span class="seed"[^>]*>s1<\/span>/)
  const many = outcomes.map((o) => ({ ...o, state: 'failed' as const }))
  const flaky = [...many, { run: 46, seed: 's46', commit: 'c', order: 'x', state: 'passed' as const }]
  const [row] = analyse([{ test: 'test/s.test.ts > s', outcomes: flaky }], { minRuns: 1 })
  const long = renderReport({ ...data(), tests: [{ row: row!, outcomes: flaky, finding: null, suspects: [] }] })
  expect(long).toContain('failed under 15 earlier seeds (<code>flakeseed flaky --json</code> lists every one), then <span class="seed"')
  expect(long).not.toMatch(/>s15<\/span>/)
  expect(long).toMatch(/>s16<\/span>/)
  expect(long).toMatch(/>s45<\/span> <\/p>|>s45<\/span><\/p>/)
})
