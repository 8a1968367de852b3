// Flakiness analytics end to end: a fixture project in its own git repository is run for real, ten
// times over two commits, under chosen seeds and environments, so that its history holds a stable
// test, an order-dependent one, a non-deterministic one, a broken one and a fixed one. Then
// `flakeseed flaky --json` must class each and give the numbers computed by hand below, and the
// end of each run must tell known flakes from new failures (console and GitHub job summary).
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { findChromium, openPage, screenshot } from '../../scripts/chromium.mjs'
import { runsBefore, git, gitCommit, gitInit, seedsWhere } from '../helpers/cli.js'
import { config, createProject, REPO, type Project } from '../helpers/project.js'
import { readPng } from '../helpers/png.js'

const CHROMIUM = findChromium()
// CI must prove the report renders: a missing browser fails there; only an explicit opt-out skips.
const SKIP_BROWSER = process.env.FLAKESEED_SKIP_BROWSER === '1'

const OD_FILE = 'test/od.test.ts'
const VICTIM = testId('', OD_FILE, 'victim')
const POLLUTER = testId('', OD_FILE, 'polluter')
const OD_IDS = ['polluter', 'victim', 'other 1', 'other 2'].map((n) => testId('', OD_FILE, n))
// A name that must stay inert in shell commands, markdown and HTML.
const NOD_NAME = `sometimes <script>alert("x")</script> it's $(fails)`
const NOD = testId('', 'test/nod.test.ts', NOD_NAME)
const BROKEN = testId('', 'test/broken.test.ts', 'broken')
const FIXED = testId('', 'test/fixed.test.ts', 'fixed')

/** Seeds whose order runs the polluter before the victim (it fails) or after it (it passes), computed from the ordering rule. */
function seeds(pollutes: boolean, count: number): string[] {
  return seedsWhere(OD_IDS, (order) => runsBefore(order, POLLUTER, VICTIM) === pollutes, count)
}
const [F1, F2] = seeds(true, 2) as [string, string]
const [P1, N] = seeds(false, 2) as [string, string]

const FILES = {
  'vitest.config.ts': config('', 'fileParallelism: false'),
  // out/ holds the HTML report: writing it must not make the tree dirty for the other tests.
  '.gitignore': '.flakeseed/\norder-*.log\nnode_modules/\nout/\n',
  'test/stable.test.ts': `import { test } from 'vitest'\ntest('stable', () => {})\n`,
  [OD_FILE]: [
    `import { expect, test } from 'vitest'`,
    `let polluted = false`,
    `test('polluter', () => { polluted = true })`,
    `test('victim', () => { expect(polluted).toBe(false) })`,
    `test('other 1', () => {})`,
    `test('other 2', () => {})`,
    '',
  ].join('\n'),
  'test/nod.test.ts': [
    `import { test } from 'vitest'`,
    // Stands for a timing or network flake: the environment decides, not the order.
    `test(${JSON.stringify(NOD_NAME)}, () => { if (process.env.NOD_FAIL) throw new Error('timed out <after> 5000 ms') })`,
    '',
  ].join('\n'),
  'test/broken.test.ts': fileCheck('broken'),
  'test/fixed.test.ts': fileCheck('fixed'),
}

/** A test that passes while `state/<name>.txt` (committed) says ok. */
function fileCheck(name: string): string {
  return [
    `import { readFileSync } from 'node:fs'`,
    `import { expect, test } from 'vitest'`,
    `test(${JSON.stringify(name)}, () => { expect(readFileSync('state/${name}.txt', 'utf8').trim()).toBe('ok') })`,
    '',
  ].join('\n')
}

function commit(project: Project, broken: string, fixed: string, message: string): string {
  project.write({ 'state/broken.txt': `${broken}\n`, 'state/fixed.txt': `${fixed}\n` })
  return gitCommit(project, message)
}

interface Row {
  test: string
  runs: number
  failures: number
  failRate: number
  flipRate: number
  entropy: number
  failingSeeds: string[]
  passingSeeds: string[]
  class: string
  commits: string[]
  command: string
}

// Outcomes per run (oldest first) of the four tests with mixed outcomes. F = failed, P = passed.
//   run  commit seed  env         victim  nod  broken  fixed
//    1     A     F1                 F      P     P       F
//    2     A     P1                 P      P     P       F
//    3     A     F1                 F      P     P       F
//    4     A     N     NOD_FAIL     P      F     P       F
//    5     A     N                  P      P     P       F
//    6     A     N     NOD_FAIL     P      F     P       F
//    7     B     F2                 F      P     F       P
//    8     B     P1                 P      P     F       P
//    9     B     F2                 F      P     F       P
//   10     B     N                  P      P     F       P
const RUNS: Array<{ commit: 'A' | 'B'; seed: string; nodFails?: boolean }> = [
  { commit: 'A', seed: F1 },
  { commit: 'A', seed: P1 },
  { commit: 'A', seed: F1 },
  { commit: 'A', seed: N, nodFails: true },
  { commit: 'A', seed: N },
  { commit: 'A', seed: N, nodFails: true },
  { commit: 'B', seed: F2 },
  { commit: 'B', seed: P1 },
  { commit: 'B', seed: F2 },
  { commit: 'B', seed: N },
]

describe('flaky', () => {
  let project: Project
  let commits: Record<'A' | 'B', string>
  const outputs: string[] = []
  const stepSummaries: string[] = []

  beforeAll(async () => {
    project = createProject(FILES)
    project.write({ 'state/broken.txt': 'ok\n', 'state/fixed.txt': 'bad\n' })
    commits = { A: gitInit(project), B: '' }
    for (const [i, run] of RUNS.entries()) {
      if (run.commit === 'B' && !commits.B) commits.B = commit(project, 'bad', 'ok', 'B: breaks one test, fixes another')
      const summaryFile = join(project.dir, '.flakeseed', `step-summary-${i + 1}.md`)
      const result = await project.runVitest([], {
        FLAKESEED_SEED: run.seed,
        ...(run.nodFails ? { NOD_FAIL: '1' } : {}),
        GITHUB_STEP_SUMMARY: summaryFile,
      })
      // Every run of this history fails something (the fixed test on A, the broken one on B).
      expect(result.code, result.output).toBe(1)
      outputs.push(result.output)
      stepSummaries.push(readFileSync(summaryFile, 'utf8'))
    }
  }, 600_000)

  test('flaky --json classes each test and gives the hand-computed numbers', async () => {
    expect(git(project, 'status', '--porcelain')).toBe('') // runs recorded a clean tree: orders comparable
    const rows = await project.runCliJson<Row[]>(['flaky'])
    // Sorted by fail rate (a fixed test breaks nothing any more: last), then flip rate; the stable test is not listed.
    expect(rows.map((r) => [r.test, r.class])).toEqual([
      [VICTIM, 'order-dependent'],
      [BROKEN, 'broken'],
      [NOD, 'non-deterministic'],
      [FIXED, 'fixed'],
    ])
    const row = (id: string) => rows.find((r) => r.test === id)!
    // victim F P F P P P F P F P: 4 of 10 failed; 7 flips in 9 transitions; H(0.4) = 0.970951
    expect(row(VICTIM)).toMatchObject({ runs: 10, failures: 4, failRate: 0.4, failingSeeds: [F1, F2], passingSeeds: [P1, N] })
    expect(row(VICTIM).flipRate).toBeCloseTo(7 / 9, 12)
    expect(row(VICTIM).entropy).toBeCloseTo(0.970951, 6)
    // nod P P P F P F P P P P: 2 of 10; 4 flips in 9; H(0.2) = 0.721928
    expect(row(NOD)).toMatchObject({ runs: 10, failures: 2, failRate: 0.2, failingSeeds: [N] })
    expect(row(NOD).flipRate).toBeCloseTo(4 / 9, 12)
    expect(row(NOD).entropy).toBeCloseTo(0.721928, 6)
    // broken P×6 F×4 and fixed F×6 P×4: one flip in 9 each
    expect(row(BROKEN)).toMatchObject({ runs: 10, failures: 4, failRate: 0.4, commits: [commits.A, commits.B] })
    expect(row(BROKEN).flipRate).toBeCloseTo(1 / 9, 12)
    expect(row(FIXED)).toMatchObject({ runs: 10, failures: 6, failRate: 0.6 })
    expect(row(FIXED).entropy).toBeCloseTo(0.970951, 6)

    // The next command for each, acting on its last failing run, shell-quoted.
    expect(row(VICTIM).command).toBe(`npx flakeseed bisect 9 --test 'test/od.test.ts > victim'`)
    expect(row(NOD).command).toBe(`npx flakeseed replay 6 --only 'test/nod.test.ts > ${NOD_NAME.replace(/'/g, `'\\''`)}' --repeat 20`)
    expect(row(BROKEN).command).toBe('npx flakeseed show 10')
  })

  test('a window, a branch and a date narrow the runs', async () => {
    // The last 4 runs are all on commit B: the victim flips F P F P there; broken fails throughout (not mixed).
    const last4 = await project.runCliJson<Row[]>(['flaky', '--window', '4'])
    expect(last4.map((r) => r.test)).toEqual([VICTIM])
    // Four outcomes, fewer than --min-runs (default 5): counted, but no rate and no class yet.
    expect(last4[0]).toMatchObject({ runs: 4, failures: 2, failRate: null, flipRate: null, entropy: null, class: 'suspected' })
    expect((await project.runCliJson<Row[]>(['flaky', '--window', '4', '--min-runs', '4']))[0]).toMatchObject({
      runs: 4,
      failures: 2,
      failRate: 0.5,
      flipRate: 1,
      class: 'order-dependent',
    })
    expect(await project.runCliJson<Row[]>(['flaky', '--branch', 'other'])).toEqual([])
    expect(await project.runCliJson<Row[]>(['flaky', '--since', '2999-01-01'])).toEqual([])
    expect(await project.runCliJson<Row[]>(['flaky', '--since', '2000-01-01'])).toHaveLength(4)
    const bad = await project.runCli(['flaky', '--since', 'yesterday'])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toEqual(['flakeseed: --since "yesterday" is not a date (use YYYY-MM-DD or an ISO date-time)'])
  })

  test('the table fits 80 columns and each row is followed by its next command', async () => {
    const result = await project.runCli(['flaky'])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('4 flaky tests in the last 10 runs (runs 1–10, 2 commits), most disruptive first')
    expect(lines[2]).toMatch(/^fails\s+rate\s+flip\s+entropy\s+class\s+test$/)
    expect(lines[3]).toMatch(/^4\/10\s+40%\s+78%\s+0\.97\s+order-dependent\s+test\/od\.test\.ts > victim$/)
    for (const line of lines.filter((l) => !l.includes('next: '))) expect(line.length, line).toBeLessThanOrEqual(80)
    const next = lines.filter((l) => l.includes('next: ')).map((l) => l.trim())
    expect(next).toEqual([
      `next: npx flakeseed bisect 9 --test 'test/od.test.ts > victim'`,
      'next: npx flakeseed show 10',
      `next: npx flakeseed replay 6 --only 'test/nod.test.ts > ${NOD_NAME.replace(/'/g, `'\\''`)}' --repeat 20`,
      `next: npx flakeseed history 'test/fixed.test.ts > fixed'`,
    ])
  })

  test('the end of a run tells known flakes from new failures', () => {
    // Run 1: nothing failed before.
    expect(outputs[0]).toContain('flakeseed 2 failed: 2 new')
    // Run 3: the victim's order (seed F1 on A) failed again; the fixed test never passed yet.
    expect(outputs[2]).toContain(
      // Broken: it failed every run, and (alone in its file) in its declaration order: no order is to blame.
      'flakeseed 2 failed: 1 known broken (failed all 3 recorded runs under 2 seeds, also in its declaration order), 1 known order-dependent (1 order failed every time (2×), others pass)',
    )
    // Run 7, first on commit B: broken fails for the first time; the victim's order F1 failed twice before.
    expect(outputs[6]).toContain('flakeseed 2 failed: 1 new, 1 known order-dependent (1 order failed every time (2×), others pass)')
    // Run 9: broken has failed every run since B.
    expect(outputs[8]).toContain(
      `flakeseed 2 failed: 1 known broken (fails every run since ${commits.B.slice(0, 8)}), 1 known order-dependent (2 orders failed every time (4×), others pass)`,
    )
    expect(outputs[8]).toMatch(/known order-dependent\s+test\/od\.test\.ts > victim\n\s+next: npx flakeseed bisect 9 --test 'test\/od\.test\.ts > victim'\n/)
    // The run's own replay/bisect commands are printed once, by the end line.
    expect(outputs[8]!.match(/npx flakeseed bisect 9(?! --test)/g)).toHaveLength(1)
  })

  test('on GitHub Actions the job summary holds seed, run, failures with their class and the commands', () => {
    const md = stepSummaries[6]!
    expect(md).toContain(`### flakeseed · run 7 · seed ${F2}`)
    expect(md).toContain('2 failed: 1 new, 1 known order-dependent')
    expect(md).toContain('| <code>test/broken.test.ts &gt; broken</code> | new |')
    expect(md).toContain('| <code>test/od.test.ts &gt; victim</code> | order-dependent |')
    expect(md).toContain('```sh\nnpx flakeseed replay 7\n```')
    expect(md).toContain('```sh\nnpx flakeseed bisect 7\n```')
    // The NOD test's name is escaped in the table; raw only inside a code fence, where it is text.
    const nod = stepSummaries[5]!
    expect(nod).toContain(
      "| <code>test/nod.test.ts &gt; sometimes &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; it's $(fails)</code> | non-deterministic |",
    )
    expect(nod.replace(/```sh\n[^`]*```/g, '')).not.toContain('<script>')
  })

  test('report --html: a self-contained page that renders its charts and table in headless Chromium', { skip: SKIP_BROWSER }, async (ctx) => {
    // Chromium is a system package: without it the test skips, visibly, except in CI (CI set),
    // where `.ci/run` installs it and a missing browser is a failure.
    if (!CHROMIUM && !process.env.CI) {
      const notice = 'chromium not found: the HTML report rendering test is skipped (apt-get install chromium; required when CI is set)'
      console.warn(`NOTICE: ${notice}`)
      ctx.skip(notice)
    }
    expect(CHROMIUM, 'chromium not found: install it (apt-get install chromium) or set FLAKESEED_SKIP_BROWSER=1').toBeTruthy()
    const result = await project.runCli(['report', '--html', 'out/report.html'])
    expect(result.code, result.output).toBe(0)
    expect(result.stdout.trim()).toBe('flakeseed report: 10 runs, 4 flaky tests → out/report.html')
    const file = join(project.dir, 'out/report.html')
    const html = readFileSync(file, 'utf8')
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/) // nothing loaded from elsewhere

    const page = openPage(CHROMIUM!, file)
    expect(page.console).toEqual([])
    expect(page.dom).toContain('data-ready="yes"') // the page's script ran to its end
    expect(page.dom.match(/<g class="run">/g)).toHaveLength(10) // health chart: one bar per run
    expect(page.dom.match(/<tr data-detail=/g)).toHaveLength(4)
    // A timeline per flaky test, painted by the page's script: one cell per run.
    expect(page.dom.match(/<canvas class="strip"[^>]* data-painted="10"/g)).toHaveLength(4)
    expect(page.dom).toContain('4 flaky tests, all in full.')
    expect(page.dom.match(/<details id="d\d+"/g)).toHaveLength(4)
    // The NOD test's name is text, not markup: one script element, the report's own.
    expect(page.dom.match(/<script/g)).toHaveLength(1)
    expect(page.dom).toContain('sometimes &lt;script&gt;alert("x")&lt;/script&gt; it\'s $(fails)')

    const out = join(REPO, 'test/.tmp')
    mkdirSync(out, { recursive: true })
    const png = join(out, 'flaky-report.png')
    screenshot(CHROMIUM!, file, png, 1200, 1400)
    // The window asked for, and a page drawn in it: a blank or failed render is one or two colours,
    // the report's text, bars and timelines are hundreds (antialiasing included).
    const shot = readPng(readFileSync(png))
    expect({ width: shot.width, height: shot.height }).toEqual({ width: 1200, height: 1400 })
    expect(shot.colours).toBeGreaterThan(100)

    // --top 2: two tests in full (painted timeline, details), the other two in the compact list.
    const top = project.cli(['report', '--html', 'out/top.html', '--top', '2'])
    expect(top.stdout.trim()).toBe('flakeseed report: 10 runs, 4 flaky tests (top 2 in full) → out/top.html')
    const small = openPage(CHROMIUM!, join(project.dir, 'out/top.html'))
    expect(small.console).toEqual([])
    expect(small.dom).toContain('data-ready="yes"')
    expect(small.dom.match(/<canvas class="strip"[^>]* data-painted="10"/g)).toHaveLength(2)
    expect(small.dom.match(/<details id="d\d+"/g)).toHaveLength(2)
    expect(/<table id="rest">[\s\S]*?<\/table>/.exec(small.dom)![0].match(/<tr data-test=/g)).toHaveLength(2)
    expect(small.dom).toContain('Top 2 of 4 flaky tests in full; the other 2 in a compact list below')
  })

  test('a bisect finding names the polluter in flaky and at the end of the next run', async () => {
    // A copy (history included), so the finding and run 11 stay out of the other tests' history.
    const copy = project.copy()
    const bisect = await copy.runCliJson<{ kind: string; polluters: string[]; command: string }>(['bisect', '9', '--test', VICTIM])
    expect(bisect).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    const row = (await copy.runCliJson<Row[]>(['flaky'])).find((r) => r.test === VICTIM)!
    expect(row).toMatchObject({ class: 'order-dependent', reason: `polluted by ${POLLUTER}`, command: bisect.command })
    // Run 11: the failing order again on B.
    const result = await copy.runVitest([], { FLAKESEED_SEED: F1 })
    expect(result.code).toBe(1)
    expect(result.output).toContain(`1 known order-dependent (polluted by ${POLLUTER})`)
  })
})

describe('replay --repeat feeds the classes', () => {
  test('a test suspected of order-dependence that passes and fails on one replayed order becomes non-deterministic', async () => {
    const coin = testId('', 'test/coin.test.ts', 'coin')
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      'test/coin.test.ts': [
        `import { randomInt } from 'node:crypto'`,
        `import { expect, test } from 'vitest'`,
        // Fails about 40 % of the time, whatever the order and the seed (not Math.random: seeded).
        `test('coin', () => { expect(randomInt(100)).toBeGreaterThanOrEqual(40) })`,
        `test('other', () => {})`,
      ].join('\n'),
    })
    // Every run under its own seed, until one failed and one passed: mixed outcomes, no order seen twice.
    const outcomes = new Set<number>()
    let failedRun = 0
    for (let seed = 1; seed <= 40 && outcomes.size < 2; seed++) {
      const result = await project.runVitest([], { FLAKESEED_SEED: String(seed) })
      outcomes.add(result.code ?? -1)
      if (result.code === 1) failedRun = seed
    }
    expect([...outcomes].sort()).toEqual([0, 1])
    // A handful of runs: --min-runs 1 gives them a class.
    const before = (await project.runCliJson<Row[]>(['flaky', '--min-runs', '1'])).find((r) => r.test === coin)!
    expect(before.class).toBe('suspected-order-dependent')

    // 20 replays of the failing order: all alike has a chance of 0.6^20 + 0.4^20 < 1e-4.
    const replay = await project.runCliJson<{ tests: Array<{ test: string; verdict: string }> }>([
      'replay',
      String(failedRun),
      '--only',
      coin,
      '--repeat',
      '20',
    ])
    expect(replay.tests.find((t) => t.test === coin)?.verdict).toBe('nod')
    // The finding is evidence enough: no --min-runs needed.
    const after = (await project.runCliJson<Array<Row & { reason: string }>>(['flaky'])).find((r) => r.test === coin)!
    expect(after).toMatchObject({ class: 'non-deterministic', reason: 'replay: the same order passed and failed' })
    expect(after.command).toBe(`npx flakeseed replay ${failedRun} --only 'test/coin.test.ts > coin' --repeat 20`)
  })
})
