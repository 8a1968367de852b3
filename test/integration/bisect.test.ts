// Replay and bisect end to end: record a failing run with the plugin, then `flakeseed bisect
// last --json` must name exactly the tests that cause it, and the reproduction command it
// prints must fail again when pasted into a shell.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Finding as BisectFinding } from '../../src/core/model.js'
import { randomFor, sortByKey } from '../../src/core/order.js'
import { testId } from '../../src/core/names.js'
import { runsBefore, paste, seedWhere } from '../helpers/cli.js'
import { config, createProject, LOG, type Project } from '../helpers/project.js'

/** What `bisect --json` prints for one victim. */
type Finding = Omit<BisectFinding, 'failures' | 'describe' | 'interrupted'> & { command: string }

async function record(project: Project, seed: string, expectFailure = true) {
  const result = await project.runVitest([], { FLAKESEED_SEED: seed })
  expect(result.code, result.output).toBe(expectFailure ? 1 : 0)
  return result
}

const serial = (extra = '') => config(``, `fileParallelism: false, ${extra}`)

// Most bisects below run with --repeat 1 --no-diagnose: their fixtures fail every time in the
// failing order, and the default repeats and the diagnosis are the first test's and
// diagnose.test.ts's to cover (each takes probes: 3 runs a check, leaks undone one by one).
// --cleaners keeps the diagnosis: with it, cleaners are looked for by the diagnosis's path.
const ONCE = ['--repeat', '1', '--no-diagnose']

describe('bisect', () => {
  test('a polluter and its victim in one file (module state)', async () => {
    const names = ['a', 'b', 'pollutes', 'c', 'victim', 'd', 'e'].map((n) => `m > ${n}`)
    const file = 'test/m.test.ts'
    const ids = names.map((n) => testId('', file, n))
    const project = createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { describe, expect, test } from 'vitest'`,
        `let dirty = false`,
        `describe('m', () => {`,
        `  test('a', () => {})`,
        `  test('b', () => {})`,
        `  test('pollutes', () => { dirty = true })`,
        `  test('c', () => {})`,
        `  test('victim', () => { expect(dirty).toBe(false) })`,
        `  test('d', () => {})`,
        `  test('e', () => {})`,
        `})`,
      ].join('\n'),
    })
    const [, , polluter, , victim] = ids as [string, string, string, string, string]
    // The polluter runs before the victim with at least two other tests in between or before.
    const seed = seedWhere(ids, (o) => runsBefore(o, polluter, victim) && o.indexOf(victim) >= 3)
    await record(project, seed)
    const result = await project.runCli(['bisect', 'last', '--json'])
    expect(result.code, result.output).toBe(1)
    const finding = JSON.parse(result.stdout) as Finding
    expect(finding).toMatchObject({ victim, kind: 'victim', polluters: [polluter], stateSetters: [], cleaners: [] })
    expect(finding.command).toBe(`npx flakeseed replay 1 --only '${polluter}' --only '${victim}'`)
    const again = paste(project, finding.command)
    expect(again.code).toBe(1)
    expect(again.out).toContain('1 failed')

    // The finding is stored for later commands.
    const shown = await project.runCliJson<{ victim: string }[]>(['runs'])
    expect(shown.length).toBeGreaterThan(1) // the replay the paste ran is recorded too
  })

  test('a describe whose hook pollutes is named, with the test that showed it; the check is counted apart', async () => {
    const file = 'test/hooks.test.ts'
    const project = createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { beforeAll, describe, expect, test } from 'vitest'`,
        `let warm = false`,
        `describe('cache', () => {`,
        `  beforeAll(() => { warm = true })`,
        `  test('x', () => {})`,
        `  test('y', () => {})`,
        `})`,
        `describe('check', () => {`,
        `  test('starts cold', () => { expect(warm).toBe(false) })`,
        `})`,
      ].join('\n'),
    })
    const seed = seedWhere([testId('', file, 'cache'), testId('', file, 'check')], (o) => o[0] === testId('', file, 'cache'))
    await record(project, seed)
    // Without the diagnosis, whose probes come after (test/integration/diagnose.test.ts counts those).
    const finding = await project.runCliJson<Finding & { pollutingTests: string[] }>(['bisect', 'last', '--repeat', '1', '--no-diagnose'])
    const first = sortByKey(
      ['x', 'y'].map((n) => testId('', file, `cache > ${n}`)),
      seed,
      (x) => x,
    )[0]!
    expect(finding).toMatchObject({
      victim: testId('', file, 'check > starts cold'),
      kind: 'victim',
      polluters: [testId('', file, 'cache')],
      pollutingTests: [first],
      // confirm, alone, one halving of two candidates; then one more: does the sibling pollute too?
      probesToFind: 3,
      probes: 4,
    })
    expect(paste(project, finding.command).code).toBe(1)
    const text = await project.runCli(['bisect', 'last', '--repeat', '1', '--no-diagnose'])
    expect(text.stdout).toContain(`polluter ${testId('', file, 'cache')} (the describe block`)
    expect(text.stdout).toMatch(/\(4 probes \(3 to find it\), \d+\.\d s\)/)
  })

  test('Ctrl-C during the search prints the smallest set found so far', async () => {
    // 40 tests before the victim. The victim's fourth run (confirm, alone, then the second search
    // probe) waits for this test to interrupt and release it: the interrupt lands in that probe
    // however loaded the machine is.
    const names = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`)
    const file = 'test/slow.test.ts'
    const project = createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { existsSync, readFileSync } from 'node:fs'`,
        `import { expect, test } from 'vitest'`,
        LOG,
        `let dirty = false`,
        ...names.map((n) => `test('${n}', () => {${n === 't07' ? ' dirty = true ' : ''}})`),
        `test('victim', async () => {`,
        `  log('victim')`,
        `  const runs = readFileSync(process.env.ORDER_LOG!, 'utf8').split('\\n').filter((l) => l === 'victim').length`,
        `  if (runs === 4) while (!existsSync(process.env.RELEASE!)) await new Promise((r) => setTimeout(r, 20))`,
        `  expect(dirty).toBe(false)`,
        `}, 300_000)`,
      ].join('\n'),
    })
    const ids = [...names, 'victim'].map((n) => testId('', file, n))
    const victim = testId('', file, 'victim')
    // The polluter in the first half of the tests before the victim: the first search probe (that half) fails.
    const seed = seedWhere(ids, (o) => o.indexOf(victim) >= 30 && o.indexOf(testId('', file, 't07')) < Math.floor(o.indexOf(victim) / 2))
    await record(project, seed)
    // Outside the project: bisect puts the project's files back after every probe.
    const outside = mkdtempSync(join(tmpdir(), 'flakeseed-probes-'))
    const probes = join(outside, 'probes.log')
    const release = join(outside, 'release')
    const child = project.spawnCli(['bisect', 'last', '--repeat', '1', '--json'], { ORDER_LOG: probes, RELEASE: release })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
    // The victim logs once per probe: confirm, alone, then the search. Interrupt during the second
    // search probe (its victim waits for the release): the first one's outcome (the first half fails) is in by then.
    const victimRuns = () =>
      existsSync(probes)
        ? readFileSync(probes, 'utf8')
            .split('\n')
            .filter((l) => l === 'victim').length
        : 0
    for (let i = 0; i < 2400 && victimRuns() < 4; i++) await new Promise((r) => setTimeout(r, 50))
    expect(victimRuns()).toBe(4)
    // As a terminal does: SIGINT to the whole foreground group, Vitest's workers included; then the
    // waiting victim finishes its probe.
    process.kill(-child.pid!, 'SIGINT')
    writeFileSync(release, '')
    expect(await exited, stderr).toBe(1)
    const finding = JSON.parse(stdout) as Finding & { interrupted: boolean }
    expect(finding).toMatchObject({ victim, kind: 'victim', interrupted: true })
    expect(finding.polluters).toContain(testId('', file, 't07'))
    // At most the half that failed, not everything before the victim: the search had narrowed it.
    const candidates = sortByKey(ids, seed, (x) => x).indexOf(victim)
    expect(finding.polluters.length).toBeLessThanOrEqual(Math.floor(candidates / 2))
    // An interrupted search is not stored as a finding.
    expect((await project.runCliJson<Array<{ test: string }>>(['flaky'])).length).toBe(0)
  })

  test('a polluter in another file, with isolate: false', async () => {
    const project = createProject({
      'vitest.config.ts': serial('isolate: false'),
      'test/a.test.ts': `import { test } from 'vitest'\ntest('sets a global', () => { (globalThis as any).leaked = 1 })\ntest('harmless', () => {})\n`,
      'test/b.test.ts': `import { expect, test } from 'vitest'\ntest('expects a clean global', () => { expect((globalThis as any).leaked).toBeUndefined() })\n`,
      'test/c.test.ts': `import { test } from 'vitest'\ntest('c1', () => {})\ntest('c2', () => {})\n`,
    })
    const files = ['test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts']
    const seed = seedWhere(files, (o) => runsBefore(o, 'test/a.test.ts', 'test/b.test.ts') && runsBefore(o, 'test/c.test.ts', 'test/b.test.ts'))
    await record(project, seed)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', ...ONCE])
    expect(finding).toMatchObject({
      victim: 'test/b.test.ts > expects a clean global',
      kind: 'victim',
      polluters: ['test/a.test.ts > sets a global'],
    })
    expect(paste(project, finding.command).code).toBe(1)
  })

  test('two polluters needed together are both named, nothing else', async () => {
    const names = ['x1', 'p1', 'x2', 'x3', 'p2', 'x4', 'victim']
    const file = 'test/pair.test.ts'
    const ids = names.map((n) => testId('', file, n))
    const project = createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { expect, test } from 'vitest'`,
        `const state = { a: false, b: false }`,
        ...['x1', 'x2', 'x3', 'x4'].map((n) => `test('${n}', () => {})`),
        `test('p1', () => { state.a = true })`,
        `test('p2', () => { state.b = true })`,
        `test('victim', () => { expect(state.a && state.b).toBe(false) })`,
      ].join('\n'),
    })
    const victim = testId('', file, 'victim')
    const seed = seedWhere(ids, (o) => o.indexOf(victim) === 6)
    await record(project, seed)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', ...ONCE])
    const order = sortByKey(ids, seed, (x) => x)
    expect(finding.kind).toBe('victim')
    expect(finding.polluters).toEqual(order.filter((id) => id.endsWith('> p1') || id.endsWith('> p2')))
    expect(paste(project, finding.command).code).toBe(1)
  })

  test('a brittle test and its state setter', async () => {
    const file = 'test/brittle.test.ts'
    const names = ['setup', 'o1', 'o2', 'brittle', 'o3']
    const ids = names.map((n) => testId('', file, n))
    const project = createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { expect, test } from 'vitest'`,
        `const cache: Record<string, number> = {}`,
        `test('setup', () => { cache.rate = 2 })`,
        `test('o1', () => {})`,
        `test('o2', () => {})`,
        `test('brittle', () => { expect(cache.rate).toBe(2) })`,
        `test('o3', () => {})`,
      ].join('\n'),
    })
    const [setup, , , brittle] = ids as [string, string, string, string]
    const passing = seedWhere(ids, (o) => runsBefore(o, setup, brittle) && o.indexOf(brittle) >= 3)
    const failing = seedWhere(ids, (o) => runsBefore(o, brittle, setup))
    await record(project, passing, false)
    await record(project, failing)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', ...ONCE])
    expect(finding).toMatchObject({ victim: brittle, kind: 'brittle', polluters: [], stateSetters: [setup] })
    expect(paste(project, finding.command).code).toBe(1) // fails alone, as the command shows
  })

  test('--cleaners finds the test that undoes the pollution in a passing order', async () => {
    const file = 'test/clean.test.ts'
    const names = ['pollute', 'clean', 'victim', 'n1', 'n2', 'n3']
    const ids = names.map((n) => testId('', file, n))
    const project = createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { expect, test } from 'vitest'`,
        `const registry = new Set<string>()`,
        `test('pollute', () => { registry.add('x') })`,
        `test('clean', () => { registry.clear() })`,
        `test('victim', () => { expect(registry.size).toBe(0) })`,
        ...['n1', 'n2', 'n3'].map((n) => `test('${n}', () => {})`),
      ].join('\n'),
    })
    const [pollute, clean, victim] = ids as [string, string, string]
    const passing = seedWhere(ids, (o) => runsBefore(o, pollute, clean) && runsBefore(o, clean, victim))
    const failing = seedWhere(ids, (o) => runsBefore(o, pollute, victim) && !(runsBefore(o, pollute, clean) && runsBefore(o, clean, victim)))
    await record(project, passing, false)
    await record(project, failing)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', '--cleaners', '--repeat', '1'])
    expect(finding).toMatchObject({ victim, kind: 'victim', polluters: [pollute], cleaners: [clean] })
    expect(paste(project, finding.command).code).toBe(1)
  })

  test('a test that fails at random on one order is non-deterministic, never blamed on another test', async () => {
    const project = createProject({
      'vitest.config.ts': serial(),
      'test/nod.test.ts': [
        `import { expect, test } from 'vitest'`,
        `import { randomInt } from 'node:crypto'`,
        `test('n1', () => {})`,
        `test('n2', () => {})`,
        `test('n3', () => {})`,
        // crypto is not reseeded: this fails about 40% of the time whatever the order.
        `test('coin', () => { expect(randomInt(100)).toBeGreaterThanOrEqual(40) })`,
      ].join('\n'),
    })
    let failed = false
    for (let i = 0; i < 30 && !failed; i++) failed = (await project.runVitest([], { FLAKESEED_SEED: '3' })).code === 1
    expect(failed).toBe(true)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', '--repeat', '8'])
    expect(['nod', 'not-reproduced']).toContain(finding.kind)
    expect(finding.polluters).toEqual([])
    expect(finding.command).toContain('--repeat 20')
    // 20 replays of the order: at least one fails (all pass with a chance of 0.6^20).
    expect(paste(project, finding.command).code).toBe(1)
  })

  test('with reseedRandom, a test whose seeded draw fails is independent, with no polluter', async () => {
    const file = 'test/rand.test.ts'
    const project = createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { expect, test } from 'vitest'`,
        `test('r1', () => {})`,
        `test('r2', () => {})`,
        `test('draw', () => { expect(Math.random()).toBeLessThan(0.5) })`,
      ].join('\n'),
    })
    const draw = testId('', file, 'draw')
    let seed = 1
    while (randomFor(String(seed), draw)() < 0.5) seed++
    await record(project, String(seed))
    await record(project, String(seed)) // the same seed fails identically
    const finding = await project.runCliJson<Finding>(['bisect', 'last'])
    expect(finding).toMatchObject({ victim: draw, kind: 'independent', polluters: [], stateSetters: [] })
    // Alone, under the run's seed, it fails again.
    expect(finding.command).toBe(`npx flakeseed replay 2 --only '${draw}'`)
    expect(paste(project, finding.command).code).toBe(1)
    // Both recorded runs failed: the tests of its file were tried before it instead, and none made it pass.
    expect(finding.passingOrders).toBe(1)
    expect((await project.runCli(['bisect', 'last'])).stdout).toContain('fails alone and no earlier test makes it pass')
  })
})

describe('replay', () => {
  const file = 'test/m.test.ts'
  const fixture = () =>
    createProject({
      'vitest.config.ts': serial(),
      [file]: [
        `import { expect, test } from 'vitest'`,
        LOG,
        `let dirty = false`,
        ...['a', 'b', 'c', 'd'].map((n) => `test('${n}', () => log('${n}'))`),
        `test('pollutes', () => { log('pollutes'); dirty = true })`,
        `test('victim', () => { log('victim'); expect(dirty).toBe(false) })`,
      ].join('\n'),
    })
  const ids = ['a', 'b', 'c', 'd', 'pollutes', 'victim'].map((n) => testId('', file, n))
  const seed = seedWhere(ids, (o) => runsBefore(o, ids[4]!, ids[5]!))

  test('replays the recorded order exactly, records it as a replay, and exits 1 on failure', async () => {
    const project = fixture()
    const recorded = (await record(project, seed)).log
    const replayed = await project.runCli(['replay', 'last'], { ORDER_LOG: join(project.dir, 'replay.log') })
    expect(replayed.code).toBe(1)
    expect(project.read('replay.log').split('\n').filter(Boolean)).toEqual(recorded)
    const runs = await project.runCliJson<Array<{ kind: string; failed: number }>>(['runs'])
    expect(runs.map((r) => r.kind)).toEqual(['replay', 'run'])
    expect(runs[0]!.failed).toBe(1)
  })

  test('--only keeps the recorded relative order; vanished tests are named', async () => {
    const project = fixture()
    await record(project, seed)
    const only = await project.runCli(['replay', '1', '--only', 'victim', 'pollutes'], { ORDER_LOG: join(project.dir, 'only.log') })
    expect(only.code).toBe(1)
    expect(project.read('only.log').split('\n').filter(Boolean)).toEqual(['pollutes', 'victim'])
    project.write({ [file]: project.read(file).replace(`test('a', () => log('a'))`, '') })
    const after = await project.runCli(['replay', '1'])
    expect(after.output).toContain('1 recorded test no longer exists')
    expect(after.output).toContain(`${file} > a`)
  })

  test('--repeat tells a reproducible failure from a random one', async () => {
    const project = fixture()
    await record(project, seed)
    const result = await project.runCliJson<{ tests: Array<{ test: string; runs: number; failures: number; verdict: string }> }>(
      ['replay', 'last', '--repeat', '3'],
      {
        ORDER_LOG: join(project.dir, 'repeat.log'),
      },
    )
    const victim = result.tests.find((t) => t.test === ids[5])!
    expect(victim).toMatchObject({ runs: 3, failures: 3, verdict: 'failed' })
    expect(result.tests.filter((t) => t.failures > 0)).toHaveLength(1)
  })

  test('bad input: one line, exit 2', async () => {
    const project = fixture()
    await record(project, seed)
    for (const args of [
      ['replay', '99'],
      ['replay', 'x'],
      ['bisect', '1', '--test', 'nope'],
      ['replay', '1', '--only', 'nope'],
      ['replay', '1', '--repeat', '0'],
    ]) {
      const result = await project.runCli(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr.trim().split('\n')).toHaveLength(result.stderr.includes('(run flakeseed --help') ? 2 : 1)
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }
  })
})
