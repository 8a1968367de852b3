// Suspects from the history, end to end: a fixture project whose cart test fails whenever
// `adds a book` ran before it in its file, run for real under shuffled seeds chosen with the
// ordering rule, so the history holds failing and passing orders. Before any bisect, `flaky`
// must name the polluter as the suspect with the counts the seeds imply, `suspects` must rank it
// first, the HTML report must show it, and once bisect has a finding, the suspect makes way.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, test } from 'vitest'
import { fisherTail, SHOWN_CHANCE } from '../../src/analysis/suspects.js'
import { testId } from '../../src/core/names.js'
import { bisectCommand } from '../../src/core/commands.js'
import { sortByKey } from '../../src/core/order.js'
import { expectOneLineError, runsBefore } from '../helpers/cli.js'
import { config, createProject, type Project } from '../helpers/project.js'

const FILE = 'test/cart.test.ts'
const POLLUTER = testId('', FILE, 'adds a book')
const VICTIM = testId('', FILE, 'a new cart is empty')
const OTHERS = [1, 2, 3, 4, 5, 6].map((i) => testId('', FILE, `other ${i}`))
const IDS = [POLLUTER, VICTIM, ...OTHERS]

/** The order a seed gives the file's tests, by the ordering rule (nothing run). */
const orderOf = (seed: string) => sortByKey(IDS, seed, (x) => x)

/**
 * The first seeds (1, 2, …) until the history can name the polluter: at least 12 runs, 4 failing
 * and 4 passing, enough for Fisher's exact test to single it out among the 7 tests before the
 * victim (each a polluter or a state setter: 14 hypotheses at 1 %), and no other test that
 * preceded the victim in exactly the same runs as it (such a test would tie with it, whatever the
 * ranking).
 */
function chooseSeeds(): string[] {
  const orders: string[][] = []
  const seeds: string[] = []
  for (let seed = 1; ; seed++) {
    const order = orderOf(String(seed))
    seeds.push(String(seed))
    orders.push(order.slice(0, order.indexOf(VICTIM)))
    const pattern = (id: string) => orders.map((before) => before.includes(id)).join()
    const failing = orders.filter((before) => before.includes(POLLUTER)).length
    const runs = { failing, passing: seeds.length - failing }
    const p = fisherTail({ role: 'polluter', before: { failing, passing: 0 }, runs })
    if (
      seeds.length >= 12 &&
      failing >= 4 &&
      runs.passing >= 4 &&
      p * 2 * (IDS.length - 1) <= SHOWN_CHANCE &&
      OTHERS.every((o) => pattern(o) !== pattern(POLLUTER))
    )
      return seeds
  }
}

const SEEDS = chooseSeeds()
const FAILS = SEEDS.map((seed) => runsBefore(orderOf(seed), POLLUTER, VICTIM))
const FAILING = FAILS.filter(Boolean).length
const PASSING = SEEDS.length - FAILING

interface SuspectJson {
  test: string
  role: string
  before: { failing: number; passing: number }
  runs: { failing: number; passing: number }
  score: number
}

describe('suspects from the history', () => {
  let project: Project

  beforeAll(async () => {
    project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      [FILE]: [
        `import { expect, test } from 'vitest'`,
        `const cart: string[] = []`,
        `test('adds a book', () => { cart.push('book') })`,
        `test('a new cart is empty', () => { expect(cart).toEqual([]) })`,
        ...OTHERS.map((_, i) => `test('other ${i + 1}', () => {})`),
        '',
      ].join('\n'),
      'test/stable.test.ts': `import { test } from 'vitest'\ntest('stable', () => {})\n`,
    })
    for (const [i, seed] of SEEDS.entries()) {
      const result = await project.runVitest([], { FLAKESEED_SEED: seed })
      // The ordering rule said which orders fail: the fixture agrees.
      expect(result.code, result.output).toBe(FAILS[i] ? 1 : 0)
    }
  }, 600_000)

  test('flaky names the polluter as the suspect, with the counts the seeds imply, before any bisect', async () => {
    expect(FAILING).toBeGreaterThanOrEqual(4)
    const result = await project.runCli(['flaky'])
    expect(result.code, result.output).toBe(0)
    const suspects = result.stdout.split('\n').filter((l) => l.includes('suspect:'))
    expect(suspects).toEqual([`      suspect: ${POLLUTER} — before it in ${FAILING}/${FAILING} failing runs, 0/${PASSING} passing (statistical)`])
    // Under the victim's own row, before its last failure.
    const lines = result.stdout.split('\n')
    const row = lines.findIndex((l) => l.endsWith(VICTIM))
    expect(row).toBeGreaterThan(0)
    expect(lines.indexOf(suspects[0]!)).toBeGreaterThan(row)
    expect(lines.indexOf(suspects[0]!)).toBeLessThan(lines.findIndex((l, i) => i > row && l.includes('last failure:')))

    const rows = await project.runCliJson<Array<{ test: string; class: string; suspects?: SuspectJson[] }>>(['flaky'])
    expect(rows.map((r) => [r.test, r.class])).toEqual([[VICTIM, 'suspected-order-dependent']])
    expect(rows[0]!.suspects).toEqual([
      { test: POLLUTER, role: 'polluter', before: { failing: FAILING, passing: 0 }, runs: { failing: FAILING, passing: PASSING }, score: 1 },
    ])
  })

  test('suspects ranks the polluter first, from a part of the test id, and says it is statistical', async () => {
    const json = await project.runCliJson<{ test: string; runs: { failing: number; passing: number }; suspects: SuspectJson[] }>(['suspects', 'new cart'])
    expect(json.test).toBe(VICTIM)
    expect(json.runs).toEqual({ failing: FAILING, passing: PASSING })
    expect(json.suspects[0]).toMatchObject({ test: POLLUTER, role: 'polluter', score: 1 })
    // The full ranking: every other test that preceded it unevenly, each strictly below.
    expect(json.suspects.slice(1).every((s) => OTHERS.includes(s.test) && s.score < 1)).toBe(true)
    expect(json.suspects.map((s) => s.score)).toEqual([...json.suspects.map((s) => s.score)].sort((a, b) => b - a))

    const result = await project.runCli(['suspects', 'new cart'])
    expect(result.code, result.output).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`${VICTIM}: failed in ${FAILING} and passed in ${PASSING} of the last ${SEEDS.length} runs`)
    expect(lines[1]).toMatch(/^statistical: /)
    expect(lines[2]).toBe(`suspect  ${POLLUTER} — before it in ${FAILING}/${FAILING} failing runs, 0/${PASSING} passing (score 1.00)`)
    expect(lines).toContain(`1 stands out from chance (flakeseed flaky shows it): ${POLLUTER}`)
    const lastFailing = FAILS.lastIndexOf(true) + 1
    expect(lines.at(-1)).toBe(`verify: ${bisectCommand(lastFailing, { test: VICTIM })}`)
  })

  test('a test that names no recorded test, or several, is one line and exit 2', async () => {
    expectOneLineError(await project.runCli(['suspects', 'nothing like it']), 'flakeseed: no recorded test matches "nothing like it"')
    expectOneLineError(
      await project.runCli(['suspects', 'other']),
      `flakeseed: "other" matches 6 recorded tests ("${OTHERS[0]}", "${OTHERS[1]}", "${OTHERS[2]}", and 3 more): give one exact id`,
    )
    expectOneLineError(await project.runCli(['suspects', VICTIM, '--window', '0']), /--window/)
  })

  test('a test that never failed has nothing to compare', async () => {
    const result = await project.runCli(['suspects', 'stable'])
    expect(result.code).toBe(0)
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      `test/stable.test.ts > stable: failed in 0 and passed in ${SEEDS.length} of the last ${SEEDS.length} runs`,
      'no suspects: the history needs a failing run and a passing run to compare',
    ])
  })

  test('the HTML report lists the suspect for the test without a finding', async () => {
    const result = await project.runCli(['report', '--html', 'out/report.html'])
    expect(result.code, result.output).toBe(0)
    const html = readFileSync(join(project.dir, 'out/report.html'), 'utf8')
    expect(html).toContain('<h4>Suspects (statistical, from the recorded orders; bisect verifies)</h4>')
    expect(html).toContain(
      `<li>suspect: <code>test/cart.test.ts &#62; adds a book</code>&nbsp;— before it in ${FAILING}/${FAILING} failing runs, 0/${PASSING} passing</li>`,
    )
  })

  test('once bisect has a finding, flaky shows it instead of the suspect', async () => {
    const copy = project.copy()
    const bisect = await copy.runCliJson<{ kind: string; polluters: string[] }>([
      'bisect',
      String(FAILS.lastIndexOf(true) + 1),
      '--test',
      VICTIM,
      '--repeat',
      '1',
    ])
    expect(bisect).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    const result = await copy.runCli(['flaky'])
    expect(result.stdout).toContain(`polluted by ${POLLUTER}`)
    expect(result.stdout).not.toContain('suspect:')
    const row = (await copy.runCliJson<Array<{ test: string; suspects?: unknown }>>(['flaky'])).find((r) => r.test === VICTIM)!
    expect(row).not.toHaveProperty('suspects')
  }, 300_000)

  test('bisect tries the suspect first: the default --repeat 3 settles it in 6 probes, against the search without the history', async () => {
    const run = String(FAILS.lastIndexOf(true) + 1)
    // One probe at a time and no diagnosis: the probes counted are the search's alone.
    const search = (copy: Project) =>
      copy.runCliJson<{ kind: string; polluters: string[]; probes: number; probesToFind?: number }>([
        'bisect',
        run,
        '--test',
        VICTIM,
        '--jobs',
        '1',
        '--no-diagnose',
      ])
    const fromHistory = await search(project.copy())
    expect(fromHistory).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    expect(fromHistory.probesToFind ?? fromHistory.probes).toBe(6)
    // The same failing run with no other run recorded: no suspects, the whole search.
    const alone = project.copy()
    const db = join(alone.dir, '.flakeseed/history.db')
    const sqlite = new Database(db)
    sqlite.prepare('DELETE FROM results WHERE run_id != ?').run(Number(run))
    sqlite.prepare('DELETE FROM runs WHERE id != ?').run(Number(run))
    sqlite.close()
    const searched = await search(alone)
    expect(searched).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    expect(searched.probesToFind ?? searched.probes).toBeGreaterThan(6)
  }, 300_000)
})
