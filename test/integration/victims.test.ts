// One cause, many victims, end to end: one polluter that leaves fake timers on (files not
// isolated, one worker) fails three tests of other files. One bisect names it; the other two
// victims are each checked with at most two probes and stored as explained by it, a plain failure
// is checked and then bisected on its own; `flaky` and the HTML report group the victims under
// their cause. The same happens in the failing job itself (the `bisect` option).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { runsBefore, seedWhere } from '../helpers/cli.js'
import { config, createProject } from '../helpers/project.js'

const VICTIMS = ['a', 'b', 'c'].map((n) => `test/${n}.test.ts > uses real timers`)
const POLLUTER = 'test/polluter.test.ts > leaves fake timers on'
const PLAIN = 'test/plain.test.ts > always fails'
const FILES = ['test/ok.test.ts', 'test/polluter.test.ts', 'test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts', 'test/plain.test.ts']

function fixture(options = '') {
  const victim = `import { expect, test, vi } from 'vitest'\ntest('uses real timers', () => { expect(vi.isFakeTimers()).toBe(false) })\n`
  return createProject({
    'vitest.config.ts': config(options, 'isolate: false, fileParallelism: false'),
    'test/ok.test.ts': `import { test } from 'vitest'\ntest('one', () => {})\ntest('two', () => {})\n`,
    'test/polluter.test.ts': `import { test, vi } from 'vitest'\ntest('leaves fake timers on', () => { vi.useFakeTimers() })\ntest('harmless', () => {})\n`,
    'test/a.test.ts': victim,
    'test/b.test.ts': victim,
    'test/c.test.ts': victim,
    'test/plain.test.ts': `import { expect, test } from 'vitest'\ntest('always fails', () => { expect(1).toBe(2) })\n`,
  })
}

/** The polluter after the harmless file and before every victim; a victim is the first failure, the plain failure not the last. */
const FAILING = seedWhere(FILES, (o) => {
  const rest = ['test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts', 'test/plain.test.ts'].sort((x, y) => o.indexOf(x) - o.indexOf(y))
  return (
    runsBefore(o, 'test/ok.test.ts', 'test/polluter.test.ts') &&
    runsBefore(o, 'test/polluter.test.ts', rest[0]!) &&
    rest[0] !== 'test/plain.test.ts' &&
    rest.at(-1) !== 'test/plain.test.ts'
  )
})
/** The polluter last: the victims pass. */
const PASSING = seedWhere(FILES, (o) => o.at(-1) === 'test/polluter.test.ts')

interface Report {
  victim: string
  kind: string
  polluters: string[]
  probes: number
  explainedBy?: string
  command: string
}

describe('one cause, many victims', () => {
  test('bisect last: one bisect names the polluter, the other victims cost two probes each, flaky and the report group them', async () => {
    const project = fixture()
    expect((await project.runVitest([], { FLAKESEED_SEED: PASSING })).code).toBe(1)
    const run = await project.runVitest([], { FLAKESEED_SEED: FAILING })
    expect(run.output).toContain('4 failed')
    const result = await project.runCli(['bisect', 'last', '--json', '--jobs', '1'])
    expect(result.code, result.output).toBe(1)
    const reports = JSON.parse(result.stdout) as Report[]
    const bisected = reports.filter((r) => r.kind === 'victim' && !r.explainedBy)
    expect(bisected.map((r) => r.polluters)).toEqual([[POLLUTER]])
    const first = bisected[0]!.victim
    const explained = reports.filter((r) => r.explainedBy)
    expect(explained.map((r) => r.victim).sort()).toEqual(VICTIMS.filter((v) => v !== first).sort())
    for (const r of explained) {
      expect(r).toMatchObject({ kind: 'victim', polluters: [POLLUTER], explainedBy: first, probes: 2 })
      expect(r.command).toBe(`npx flakeseed replay 2 --only '${POLLUTER}' --only '${r.victim}'`)
    }
    // The plain failure was checked (it fails alone too), then bisected on its own.
    expect(reports.find((r) => r.victim === PLAIN)).toMatchObject({ kind: 'independent', polluters: [] })
    expect(reports).toHaveLength(4)
    // Stored as findings: each victim with the same polluters and its own probes and command.
    const db = new Database(join(project.dir, '.flakeseed/history.db'), { readonly: true })
    const stored = db.prepare('SELECT victim, kind, polluters, probes, command FROM findings WHERE kind = ? ORDER BY victim').all('victim') as Array<
      Omit<Report, 'polluters'> & { polluters: string }
    >
    db.close()
    expect(stored.map((r) => ({ ...r, polluters: JSON.parse(r.polluters) }))).toEqual(
      [...bisected, ...explained]
        .map((r) => ({ victim: r.victim, kind: 'victim', polluters: [POLLUTER], probes: r.probes, command: r.command }))
        .sort((a, b) => a.victim.localeCompare(b.victim)),
    )

    const text = await project.runCli(['flaky'])
    expect(text.stdout).toContain(['1 polluter, 3 victims: fix once', `  polluter ${POLLUTER}`].join('\n'))
    for (const v of VICTIMS) expect(text.stdout).toContain(`  victim   ${v}`)
    // The fix the diagnosis verified, once, on the victim it was verified on.
    expect(text.stdout).toContain(
      `  fix      vi.useRealTimers() after each test in test/polluter.test.ts; verified on ${first} by undoing the leak, not by running this code\n`,
    )
    expect(text.stdout).not.toContain('next: npx flakeseed bisect')
    const rows = await project.runCliJson<Array<{ test: string; class: string; polluters?: string[] }>>(['flaky'])
    for (const v of VICTIMS) expect(rows.find((r) => r.test === v)).toMatchObject({ class: 'order-dependent', polluters: [POLLUTER] })

    expect((await project.runCli(['report', '--html', 'report.html'])).code).toBe(0)
    const html = project.read('report.html')
    expect(html).toContain('<h3>1 polluter, 3 victims: fix once</h3>')
    // Each victim links to its details (names escaped: `>` is `&#62;`).
    const links = [...html.matchAll(/<li>victim <a href="#(d\d+)"><code>([^<]*)<\/code><\/a><\/li>/g)]
    expect(links.map((m) => m[2]).sort()).toEqual(VICTIMS.map((v) => v.replaceAll('>', '&#62;')).sort())
    for (const [, anchor] of links) expect(html).toContain(`<details id="${anchor}"`)
  })

  test('the bisect in the failing job checks the other victims the same way and prints each as checked', async () => {
    const project = fixture(`{ bisect: { onFailure: 'new', budget: 300 } }`)
    expect((await project.runVitest([], { FLAKESEED_SEED: PASSING, FLAKESEED_BISECT: 'off' })).code).toBe(1)
    const summary = join(project.dir, 'summary.md')
    const run = await project.runVitest([], { FLAKESEED_SEED: FAILING, GITHUB_STEP_SUMMARY: summary })
    expect(run.code, run.output).toBe(1)
    expect(run.stdout.match(/checked, not bisected \(2 probes/g)).toHaveLength(2)
    expect(run.stdout).toContain(`1 polluter, 3 victims: fix once\n  polluter ${POLLUTER}\n`)
    // The two checked victims take the bisected one's patch (no bisect of theirs, no leak of their own
    // diagnosed), each failing order checked with it: one line for the three, as `fix` prints it.
    expect(run.stdout.match(/^flakeseed patch for .*$/gm), run.stdout).toHaveLength(1)
    expect(run.stdout).toMatch(
      /^flakeseed patch for test\/[abc]\.test\.ts > uses real timers \(and test\/[abc]\.test\.ts > uses real timers, test\/[abc]\.test\.ts > uses real timers\): vi\.useRealTimers\(\) after each test in test\/polluter\.test\.ts \(verified: the failing orders of run \d+ of the 3 victims it fixes fail without it and pass with it; /m,
    )
    const text = await project.runCli(['flaky'])
    expect(text.stdout).toContain('1 polluter, 3 victims: fix once')
    // The job summary says the same: each checked victim as checked, then the group.
    const md = readFileSync(summary, 'utf8')
    expect(md.match(/checked against the polluters of <code>test\/[abc]\.test\.ts &gt; uses real timers<\/code> \(2 probes\), not bisected/g)).toHaveLength(2)
    expect(md).toContain('**1 polluter, 3 victims: fix once**: <code>test/polluter.test.ts &gt; leaves fake timers on</code>')
    for (const v of ['a', 'b', 'c']) expect(md).toContain(`- <code>test/${v}.test.ts &gt; uses real timers</code>`)
    // The in-job bisect may use its whole 300 s budget on a loaded machine: the test waits as long.
  }, 330_000)
})
