// Quarantine end to end, on real Vitest runs: a quarantined test keeps running and its failure is
// recorded as one, printed as quarantined (console, end of run, GitHub job summary), and does not
// fail the run; anything else still does, an expired or broken list changes nothing by accident,
// and `flakeseed quarantine add|list|remove` keep the list.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { today } from '../../src/quarantine/file.js'
import { saveFinding } from '../../src/store/findings.js'
import { Store } from '../../src/store/index.js'
import { expectOneLineError, type RunJson, seedWhere, type ShowJson } from '../helpers/cli.js'
import { config, createProject, LOG, type Project } from '../helpers/project.js'

const FLAKY = testId('', 'test/q.test.ts', 'flaky')
const STEADY = testId('', 'test/q.test.ts', 'steady')
const REASON = 'times out on CI (#12)'

function list(entries: object[]): string {
  return `${JSON.stringify({ tests: entries }, null, 2)}\n`
}

const FILES = {
  'vitest.config.ts': config('', 'fileParallelism: false'),
  'test/q.test.ts': [
    `import { expect, test } from 'vitest'`,
    LOG,
    // Stands for a timeout on a busy CI machine: the environment decides.
    `test('flaky', () => { log('flaky ran'); expect(process.env.FLAKY_FAIL ? 'timeout' : 'ok').toBe('ok') })`,
    `test('steady', () => { if (process.env.STEADY_FAIL) throw new Error('steady broke') })`,
    '',
  ].join('\n'),
  'test/other.test.ts': [`import { test } from 'vitest'`, LOG, `test('after', () => log('after ran'))`, ''].join('\n'),
  '.flakeseed/quarantine.json': list([{ test: FLAKY, reason: REASON, until: '2999-12-31' }]),
}

/** `quarantined  <test>  failed (reason)` and its error, as the end of the run prints them. */
const QUARANTINED_FLAKY = `  quarantined  ${FLAKY}  failed (${REASON})\n               expected 'timeout' to be 'ok'`

// Every test works on its own copy of a fixture: our own suite runs shuffled, tests in any order.
describe('a quarantined test', () => {
  let base: Project
  beforeAll(() => {
    base = createProject(FILES)
  })

  test('that fails: the run exits 0, the failure is recorded with its error and printed as quarantined everywhere', async () => {
    const project = base.copy()
    const summary = join(project.dir, 'summary-1.md')
    const result = await project.runVitest([], { FLAKY_FAIL: '1', GITHUB_STEP_SUMMARY: summary })
    expect(result.code, result.output).toBe(0)
    expect(result.log).toContain('flaky ran') // it ran, in its shuffled place
    expect(result.output).toMatch(/flakeseed run 1 · seed \d+ · passed · 1 quarantined failed · replay: npx flakeseed replay 1\n/)
    expect(result.output).toContain('flakeseed bisect: npx flakeseed bisect 1\n')
    expect(result.output).toContain('flakeseed quarantine: 1 quarantined test ran, 1 failed (a quarantined failure does not fail the run)\n')
    expect(result.output).toContain(QUARANTINED_FLAKY)
    // Not among the failures that fail the run.
    expect(result.output).not.toMatch(/flakeseed \d+ failed:/)

    // Recorded as the failure it was, with its error; the run itself passed.
    const shown = await project.runCliJson<ShowJson>(['show', '1'])
    const flaky = shown.files.find((f) => f.file === 'test/q.test.ts')!.tests.find((t) => t.name === 'flaky')!
    expect(flaky).toMatchObject({ state: 'failed', quarantined: REASON })
    expect(flaky.error).toContain("expected 'timeout' to be 'ok'")
    expect((await project.runCliJson<RunJson[]>(['runs']))[0]).toMatchObject({ status: 'passed', passed: 2, failed: 1 })
    expect((await project.runCli(['show', '1'])).stdout).toContain(`  ✗ ${FLAKY}  (quarantined: ${REASON}; did not fail the run)\n`)

    const md = readFileSync(summary, 'utf8')
    expect(md).toContain('No failure fails the run; 1 quarantined test failed (below).')
    expect(md).toContain('Quarantined: 1 failure that did not fail the run.')
    expect(md).toContain(`| <code>test/q.test.ts &gt; flaky</code> | quarantined, failed | times out on CI (#12) | expected 'timeout' to be 'ok'`)
  })

  test('that passes is counted, and nothing is said to have failed', () => {
    const result = base.copy().vitest()
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('flakeseed quarantine: 1 quarantined test ran, 1 passed\n')
    expect(result.output).toMatch(/ · passed · replay: /)
    expect(result.output).not.toContain('  quarantined  ')
  })

  test('beside a failure that is not quarantined: the run still fails on that one (threads pool too)', async () => {
    const project = base.copy()
    const summary = join(project.dir, 'summary.md')
    const result = await project.runVitest(['--pool=threads'], { FLAKY_FAIL: '1', STEADY_FAIL: '1', GITHUB_STEP_SUMMARY: summary })
    expect(result.code, result.output).toBe(1)
    expect(result.output).toMatch(/flakeseed run 1 · seed \d+ · 1 failed · 1 quarantined failed · replay: /)
    // The known-flake summary is about what fails the run; the quarantined failure has its own lines.
    expect(result.output).toContain(`flakeseed 1 failed: 1 new\n  new  ${STEADY}\n`)
    expect(result.output).toContain(QUARANTINED_FLAKY)
    const md = readFileSync(summary, 'utf8')
    expect(md).toContain('1 failed: 1 new.')
    expect(md).toContain(`| <code>test/q.test.ts &gt; steady</code> | new |`)
    expect(md).toContain('| <code>test/q.test.ts &gt; flaky</code> | quarantined, failed |')
  })

  test('keeps its retries (every attempt failed), and its failure does not count towards --bail', async () => {
    // The quarantined test's file first: with bail counting its failure, the next file would be cancelled.
    const seed = seedWhere(['test/q.test.ts', 'test/other.test.ts'], (order) => order[0] === 'test/q.test.ts')
    const project = base.copy()
    const result = await project.runVitest(['--retry=2', '--bail=1'], { FLAKY_FAIL: '1', FLAKESEED_SEED: seed })
    expect(result.code, result.output).toBe(0)
    expect(result.log).toEqual(['flaky ran', 'flaky ran', 'flaky ran', 'after ran'])
    const shown = await project.runCliJson<ShowJson>(['show', 'last'])
    expect(shown.files.map((f) => f.file)).toEqual(['test/q.test.ts', 'test/other.test.ts'])
    expect(shown.files[0]!.tests.find((t) => t.name === 'flaky')).toMatchObject({ state: 'failed', quarantined: REASON })
  })

  test('flaky and the HTML report count its failures as failures, and mark them as quarantined', async () => {
    const project = base.copy()
    expect((await project.runVitest([], { FLAKY_FAIL: '1' })).code).toBe(0)
    expect((await project.runVitest()).code).toBe(0)
    const [row] = await project.runCliJson<Array<{ test: string; failures: number; runs: number; quarantinedFailures: number }>>(['flaky', '--min-runs', '1'])
    expect(row).toMatchObject({ test: FLAKY, failures: 1, runs: 2, quarantinedFailures: 1 })
    expect((await project.runCli(['flaky', '--min-runs', '1'])).stdout).toContain('      1 failure while quarantined (did not fail the run)\n')
    expect((await project.runCli(['report', '--html', 'out/report.html', '--min-runs', '1'])).code).toBe(0)
    const html = project.read('out/report.html')
    // The timeline, one letter per run as the page paints it: q failed while quarantined, p passed.
    expect([...html.matchAll(/<canvas class="strip"[^>]* data-t="(\w*)"/g)].map((m) => m[1])).toEqual(['qp'])
    expect(html).toContain('1 of its failures came while it was quarantined and did not fail their run.')
  })

  test('replay ignores the quarantine: it is there to see the failure', async () => {
    const project = base.copy()
    expect((await project.runVitest([], { FLAKY_FAIL: '1' })).code).toBe(0)
    const result = await project.runCli(['replay', '1'], { FLAKY_FAIL: '1' })
    expect(result.code, result.output).toBe(1)
    expect(result.output).not.toContain('quarantined')
  })

  test('a failing beforeAll fails its file, quarantined test or not (the quarantine is per test)', async () => {
    const copy = base.copy()
    copy.write({
      'test/hooks.test.ts': [
        `import { beforeAll, test } from 'vitest'`,
        `beforeAll(() => { throw new Error('setup broke') })`,
        `test('hooked', () => {})`,
        '',
      ].join('\n'),
      '.flakeseed/quarantine.json': list([{ contains: 'hooks.test.ts', reason: 'setup is flaky' }]),
    })
    const result = await copy.runVitest()
    expect(result.code, result.output).toBe(1)
    // Its test never ran: nothing to release, and the run is not said to have passed.
    expect(result.output).toMatch(/flakeseed run 1 · seed \d+ · failed · replay: /)
    expect(result.output).not.toContain('quarantined')
  })
})

describe('a list that no longer applies, or cannot be read', () => {
  let base: Project
  beforeAll(() => {
    base = createProject(FILES)
  })

  test('an expired entry fails the run again, and the run says so in one line', async () => {
    const project = base.copy()
    project.write({ '.flakeseed/quarantine.json': list([{ test: FLAKY, reason: REASON, until: '2000-01-01' }]) })
    const result = await project.runVitest([], { FLAKY_FAIL: '1' })
    expect(result.code, result.output).toBe(1)
    const lines = result.output.split('\n').filter((l) => l.includes('quarantine'))
    expect(lines).toEqual([
      `flakeseed: quarantine expired for 1 entry, their failures fail the run again: ${FLAKY} (until 2000-01-01) (.flakeseed/quarantine.json: remove them, or extend "until")`,
    ])
    expect(result.output).toContain(`flakeseed 1 failed: 1 new\n  new  ${FLAKY}\n`)
  })

  test('a malformed file is one line naming file and line; the run goes on as without it, failing or not', async () => {
    const project = base.copy()
    project.write({
      '.flakeseed/quarantine.json': `{\n  "tests": [\n    {\n      "test": ${JSON.stringify(FLAKY)},\n      "reason": "x",\n      "until": "someday"\n    }\n  ]\n}\n`,
    })
    const warning =
      'flakeseed: .flakeseed/quarantine.json:6: "until" must be a date YYYY-MM-DD, got "someday"; the run goes on without the quarantine (its tests fail the run as any other)'
    const failing = await project.runVitest([], { FLAKY_FAIL: '1' })
    expect(failing.code, failing.output).toBe(1) // never green by accident
    expect(failing.output.split('\n').filter((l) => l.includes('quarantine'))).toEqual([warning])
    const passing = await project.runVitest()
    expect(passing.code, passing.output).toBe(0)
    expect(passing.output.split('\n').filter((l) => l.includes('quarantine'))).toEqual([warning])
    // The CLI reads the same file and says the same, as its one error line.
    expectOneLineError(
      await project.runCli(['quarantine', 'list']),
      /^flakeseed: \.flakeseed\/quarantine\.json:6: "until" must be a date YYYY-MM-DD, got "someday"$/,
    )
  })

  test('a file nested 200,000 deep, or an entry whose "__proto__" holds a pattern: one line naming file and line, nothing quarantined', async () => {
    const project = base.copy()
    const after = '; the run goes on without the quarantine (its tests fail the run as any other)'
    project.write({ '.flakeseed/quarantine.json': `{\n  "tests": ${'['.repeat(200_000)}${']'.repeat(200_000)}\n}\n` })
    const deep = 'flakeseed: .flakeseed/quarantine.json:2: not valid JSON: nested deeper than 256 levels'
    const run = await project.runVitest([], { FLAKY_FAIL: '1' })
    expect(run.code, run.output).toBe(1)
    expect(run.output.split('\n').filter((l) => l.includes('quarantine'))).toEqual([deep + after])
    expectOneLineError(await project.runCli(['quarantine', 'list']), deep)
    expectOneLineError(await project.runCli(['quarantine', 'add', FLAKY, '--reason', 'x']), deep)

    // Read by assigning object[key], this entry's prototype would hold "contains": "q", which
    // every id here contains: the whole file would quarantine them all.
    project.write({ '.flakeseed/quarantine.json': '{\n  "tests": [\n    { "__proto__": { "contains": "q" }, "reason": "r" }\n  ]\n}\n' })
    const proto = 'flakeseed: .flakeseed/quarantine.json:3: unknown field "__proto__" (an entry has "test", "contains", "reason", "added", "by", "until")'
    const refused = await project.runVitest([], { FLAKY_FAIL: '1' })
    expect(refused.code, refused.output).toBe(1)
    expect(refused.output.split('\n').filter((l) => l.includes('quarantine'))).toEqual([proto + after])
    expectOneLineError(await project.runCli(['quarantine', 'list']), proto)
  })

  test('quarantine: false, or another path, is what the plugin reads', async () => {
    const project = base.copy()
    project.write({
      '.flakeseed/quarantine.json': list([{ test: FLAKY, reason: REASON }]),
      'q/list.json': list([{ test: FLAKY, reason: 'from q/list.json' }]),
    })
    project.write({ 'vitest.config.ts': config(`{ quarantine: 'q/list.json' }`, 'fileParallelism: false') })
    const other = await project.runVitest([], { FLAKY_FAIL: '1' })
    expect(other.code, other.output).toBe(0)
    expect(other.output).toContain(`  quarantined  ${FLAKY}  failed (from q/list.json)`)
    project.write({ 'vitest.config.ts': config('{ quarantine: false }', 'fileParallelism: false') })
    const none = await project.runVitest([], { FLAKY_FAIL: '1' })
    expect(none.code, none.output).toBe(1)
  })
})

describe('flakeseed quarantine add, list, remove', () => {
  let base: Project
  let project: Project
  const USERS = testId('', 'test/api.test.ts', 'api > fetches users')
  const ORDERS = testId('', 'test/api.test.ts', 'api > fetches orders')
  const FORMATS = testId('', 'test/util.test.ts', 'util > formats')
  const read = () => JSON.parse(project.read('.flakeseed/quarantine.json')) as { tests: Array<Record<string, string>> }

  beforeAll(async () => {
    base = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      'test/api.test.ts': [
        `import { describe, test } from 'vitest'`,
        `describe('api', () => {`,
        `  test('fetches users', () => { if (process.env.USERS_FAIL) throw new Error('socket hang up') })`,
        `  test('fetches orders', () => {})`,
        `})`,
        '',
      ].join('\n'),
      'test/util.test.ts': `import { describe, test } from 'vitest'\ndescribe('util', () => { test('formats', () => {}) })\n`,
    })
    expect((await base.runVitest()).code).toBe(0)
  })

  test('add takes an exact id, or a part of ids and shows what it matched; it refuses what matches nothing', async () => {
    project = base.copy()
    const exact = await project.runCli(['quarantine', 'add', USERS, '--reason', '#12', '--until', '2999-01-01', '--by', 'ann'])
    expect(exact.code, exact.output).toBe(0)
    expect(exact.stdout).toBe(`quarantined ${USERS} (#12, until 2999-01-01) in .flakeseed/quarantine.json\n`)
    expect(read().tests).toEqual([{ test: USERS, reason: '#12', added: today(), by: 'ann', until: '2999-01-01' }])

    const part = await project.runCli(['quarantine', 'add', 'util > form', '--reason', 'locale', '--by', 'bob'])
    expect(part.code, part.output).toBe(0)
    expect(part.stdout).toBe(`quarantined every test containing "util > form" (locale) in .flakeseed/quarantine.json; it matches 1 test now:\n  ${FORMATS}\n`)
    expect(read().tests.map((e) => e.test ?? `*${e.contains}*`)).toEqual([USERS, '*util > form*'])

    // Matches nothing recorded nor current: refused, and the file is as it was.
    const before = project.read('.flakeseed/quarantine.json')
    expectOneLineError(
      await project.runCli(['quarantine', 'add', 'api > fetches payments', '--reason', 'x']),
      '"api > fetches payments" matches no recorded or current test',
    )
    expect(project.read('.flakeseed/quarantine.json')).toBe(before)
    expectOneLineError(
      await project.runCli(['quarantine', 'add', USERS]),
      /required option '--reason <text>' not specified \(see flakeseed quarantine add --help\)/,
    )
    expectOneLineError(await project.runCli(['quarantine', 'add', USERS, '--reason', 'x', '--until', '2000-01-01']), /--until 2000-01-01 is already past/)
    expectOneLineError(
      await project.runCli(['quarantine', 'add', USERS, '--reason', 'x', '--until', '2027-02-30']),
      '--until "2027-02-30" is not a date (use YYYY-MM-DD)',
    )
  })

  test('add shows a reason with a newline escaped, on one line; remove of a duplicated entry says so once and removes every copy', async () => {
    project = base.copy()
    const added = await project.runCli(['quarantine', 'add', USERS, '--reason', 'see\n#12\x1b[2J'])
    expect(added.code, added.output).toBe(0)
    expect(added.stdout).toBe(`quarantined ${USERS} (see\\n#12\\x1b[2J) in .flakeseed/quarantine.json\n`)
    expect(read().tests).toMatchObject([{ test: USERS, reason: 'see\n#12\x1b[2J' }]) // the file keeps it exact

    project.write({
      '.flakeseed/quarantine.json': list([
        { test: USERS, reason: 'a' },
        { contains: 'util', reason: 'b' },
        { test: USERS, reason: 'c' },
      ]),
    })
    const removed = await project.runCli(['quarantine', 'remove', USERS])
    expect(removed.code, removed.output).toBe(0)
    expect(removed.stdout).toBe(`removed ${USERS} (all 2 copies of it) from .flakeseed/quarantine.json (1 entry left)\n`)
    expect(read().tests).toEqual([{ contains: 'util', reason: 'b' }])
  })

  test('add accepts a test that exists but was never recorded (collected by Vitest)', async () => {
    project = base.copy()
    project.write({ 'test/new.test.ts': `import { test } from 'vitest'\ntest('brand new', () => {})\n` })
    const added = await project.runCliJson<{ entries: Array<{ test?: string; matches: string[] }> }>([
      'quarantine',
      'add',
      'test/new.test.ts > brand new',
      '--reason',
      'new and shaky',
    ])
    expect(added.entries).toMatchObject([{ test: 'test/new.test.ts > brand new', matches: ['test/new.test.ts > brand new'] }])
    expect(read().tests).toMatchObject([{ test: 'test/new.test.ts > brand new', reason: 'new and shaky' }])
    expect(await project.runCliJson<{ left: number }>(['quarantine', 'remove', 'test/new.test.ts > brand new'])).toMatchObject({ left: 0 })
  })

  test('list shows each entry with its outcomes since it was added and the finding; remove takes an entry off', async () => {
    project = base.copy()
    const day = today()
    project.write({
      '.flakeseed/quarantine.json': list([
        { test: USERS, reason: '#12', added: day, by: 'ann', until: '2999-01-01' },
        { contains: 'util > form', reason: 'locale', added: day, by: 'bob' },
      ]),
    })
    // Run 2: the quarantined test fails; runs 3–7 pass.
    expect((await project.runVitest([], { USERS_FAIL: '1' })).code).toBe(0)
    for (let i = 0; i < 5; i++) expect((await project.runVitest()).code).toBe(0)
    // What a bisect of run 2 would have stored (bisect itself is tested in bisect.test.ts).
    const store = Store.open(join(project.dir, '.flakeseed/history.db'))
    saveFinding(
      store,
      2,
      { victim: USERS, kind: 'victim', polluters: [ORDERS], stateSetters: [], cleaners: [], probes: 4 },
      `npx flakeseed replay 2 --only '${ORDERS}' '${USERS}'`,
    )
    store.close()

    const text = await project.runCli(['quarantine', 'list'])
    expect(text.code, text.output).toBe(0)
    expect(text.stdout).toBe(
      [
        '2 entries in .flakeseed/quarantine.json',
        '',
        USERS,
        '  reason   #12',
        `  added ${day} · by ann · until 2999-01-01`,
        `  outcome  failed in 1 of 7 runs since ${day} (last in run 2), passed the 5 runs since`,
        `  finding  polluted by ${ORDERS}`,
        `           reproduce: npx flakeseed replay 2 --only '${ORDERS}' '${USERS}'`,
        '',
        '*util > form*',
        '  reason   locale',
        `  added ${day} · by bob`,
        `  matches  1 recorded test: ${FORMATS}`,
        `  outcome  passed 7 runs in a row since ${day}: remove?`,
        '',
      ].join('\n'),
    )
    const json = await project.runCliJson<
      Array<{
        test?: string
        contains?: string
        line: number
        expired: boolean
        since: { runs: number; failed: number; streak: number }
        finding: { kind: string } | null
      }>
    >(['quarantine', 'list'])
    expect(json).toMatchObject([
      { test: USERS, line: 3, expired: false, since: { runs: 7, failed: 1, streak: 5 }, finding: { kind: 'victim' } },
      { contains: 'util > form', expired: false, since: { runs: 7, failed: 0, streak: 7 }, finding: null },
    ])

    expectOneLineError(await project.runCli(['quarantine', 'remove', 'util > formats']), 'no entry of .flakeseed/quarantine.json is "util > formats"')
    const removed = await project.runCli(['quarantine', 'remove', 'util > form'])
    expect(removed.stdout).toBe('removed *util > form* from .flakeseed/quarantine.json (1 entry left)\n')
    expect(read().tests.map((e) => e.test)).toEqual([USERS])
  })
})
