// `flakeseed fix` end to end: a real failing run of a fixture, `fix` prints a patch it verified
// without touching the project, the printed diff applies with `git apply`, and after `--apply` the
// failing seed and more seeds pass. Cases where no patch may be claimed claim none.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { expectOneLineError, runsBefore, seedsWhere } from '../helpers/cli.js'
import { config, createProject, type Files, type Project } from '../helpers/project.js'
import { treeHash } from '../helpers/files.js'
import { PATCHED } from '../fixtures/leaks.mjs'

interface FixJson {
  patches: Array<{
    victim: string
    polluters: string[]
    leak: string | null
    files: string[]
    diff: string
    verified: string
    checks: { failsWithout: boolean; passesWith: boolean; seeds: number; tests: number }
    seconds: number
  }>
  unpatched: Array<{ victim: string; why: string }>
}

/** A fixture with a failing run recorded: the polluter ran before the victim under `seeds[0]`. */
async function failingRun(
  files: Files,
  file: string,
  polluter: string,
  victim: string,
  others: string[],
  count = 1,
): Promise<{ project: Project; seeds: string[] }> {
  const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...files })
  const ids = [polluter, victim, ...others].map((name) => testId('', file, name))
  const seeds = seedsWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!), count)
  const run = await project.runVitest([], { FLAKESEED_SEED: seeds[0]! })
  expect(run.code, run.output).toBe(1)
  return { project, seeds }
}

/** `vitest run` under each seed: every one passes. */
async function expectSeedsPass(project: Project, seeds: readonly string[]): Promise<void> {
  for (const seed of seeds) {
    const run = await project.runVitest([], { FLAKESEED_SEED: seed })
    expect(run.code, `seed ${seed}: ${run.output}`).toBe(0)
  }
}

/** The printed diff applies from the project root. */
function expectApplies(project: Project, diff: string): void {
  const path = join(project.dir, '..', `${Date.now()}.diff`)
  writeFileSync(path, diff)
  execFileSync('git', ['apply', '--check', path], { cwd: project.dir, stdio: 'pipe' })
}

/** `text` at `file` with `diff` applied by git in a folder of its own. */
function gitApplied(text: string, file: string, diff: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flakeseed-apply-'))
  try {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
    writeFileSync(join(dir, 'patch.diff'), diff)
    execFileSync('git', ['apply', 'patch.diff'], { cwd: dir, stdio: 'pipe' })
    return readFileSync(join(dir, file), 'utf8')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('fix', () => {
  // A JS file with 4-space indentation and semicolons: the patch keeps both.
  const { file: JS, text: shopJs } = PATCHED.jsStyle

  test('an env var set directly: a verified patch in the file’s style, nothing written without --apply, --apply refuses a changed file, then writes it and 11 seeds pass', async () => {
    const { project, seeds } = await failingRun(
      { [JS]: shopJs },
      JS,
      'shop > storefront in the euro zone',
      'shop > prices in dollars by default',
      ['shop > lists products'],
      11,
    )
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--json'])
    expect(result.code, result.output).toBe(0)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.unpatched).toEqual([])
    expect(json.patches).toHaveLength(1)
    const [patch] = json.patches
    expect(patch).toMatchObject({
      victim: testId('', JS, 'shop > prices in dollars by default'),
      polluters: [testId('', JS, 'shop > storefront in the euro zone')],
      leak: 'process.env.SHOP_CURRENCY',
      files: [JS],
      checks: { failsWithout: true, passesWith: true, seeds: 11, tests: 3 },
    })
    expect(patch!.verified).toMatch(/^the failing order of run \d+ fails without it and passes with it; 1 file × 11 seeds pass$/)
    // Nothing in the project changed: the check ran on sources served from memory.
    expect(treeHash(project)).toBe(before)
    expectApplies(project, patch!.diff)
    const added = patch!.diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++') && l.trim() !== '+')
    expect(added.length).toBeGreaterThan(0)
    for (const line of added) expect(line.slice(1)).toMatch(/^(?: {4})*\S/)
    expect(added.filter((l) => /[)\]}\w'"]$/.test(l))).toEqual([])

    // The printed form: the diff, what was verified, the command that applies it.
    const printed = await project.runCli(['fix', 'last'])
    expect(printed.code, printed.output).toBe(0)
    expect(printed.stdout).toContain(`--- a/${JS}\n+++ b/${JS}\n`)
    expect(printed.stdout).toMatch(/^verified: the failing order of run \d+ fails without it and passes with it; 1 file × 11 seeds pass \(\d+\.\d s\)$/m)
    expect(printed.stdout).toMatch(/^apply: npx flakeseed fix \d+ --apply$/m)

    // --apply writes only onto the bytes that were verified.
    project.write({ [JS]: `${shopJs}// edited\n` })
    expectOneLineError(await project.runCli(['fix', 'last', '--apply']), `${JS} changed since the patch was verified`)
    expect(project.read(JS)).toBe(`${shopJs}// edited\n`)
    project.write({ [JS]: shopJs })
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout).toContain(`wrote ${JS}`)
    const after = project.read(JS)
    // The file is what the printed diff makes of it, and the diff takes away no line but the import it extends.
    expect(after).toBe(gitApplied(shopJs, JS, patch!.diff))
    const removed = patch!.diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))
    expect(removed).toEqual([`-${shopJs.split('\n')[0]}`])
    await expectSeedsPass(project, seeds)
  }, 300_000)

  test('with Vitest’s module cache on disk turned on, the patch is verified on the patched sources and never reaches the cache: the next plain run still fails', async () => {
    // The cache keys a module by the file's bytes on disk: a patched transform stored there would
    // run in the user's next run, and an unpatched one served to the check would hide the patch.
    const major = Number.parseInt((createRequire(import.meta.url)('vitest/package.json') as { version: string }).version, 10)
    const cache = major >= 5 ? 'fsModuleCache: true' : 'experimental: { fsModuleCache: true }'
    const project = createProject({ 'vitest.config.ts': config('', `fileParallelism: false, ${cache}`), [JS]: shopJs })
    const ids = ['shop > storefront in the euro zone', 'shop > prices in dollars by default', 'shop > lists products'].map((n) => testId('', JS, n))
    const [seed] = seedsWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!), 1)
    expect((await project.runVitest([], { FLAKESEED_SEED: seed! })).code).toBe(1)
    const result = await project.runCli(['fix', 'last', '--json', '--seeds', '2'])
    expect(result.code, result.output).toBe(0)
    expect((JSON.parse(result.stdout) as FixJson).patches).toHaveLength(1)
    const again = await project.runVitest([], { FLAKESEED_SEED: seed! })
    expect(again.code, again.output).toBe(1)
  })

  test('vi.stubEnv: unstubEnvs in the config, verified on a config served beside the original and removed after', async () => {
    const file = 'test/shop.test.ts'
    const { project, seeds } = await failingRun(
      { [file]: PATCHED.stubEnv },
      file,
      'shop > storefront in the euro zone',
      'shop > prices in dollars by default',
      ['shop > lists products'],
      3,
    )
    const before = treeHash(project)
    const json = await project.runCliJson<FixJson>(['fix', 'last', '--seeds', '3'])
    expect(json.unpatched).toEqual([])
    expect(json.patches[0]).toMatchObject({ files: ['vitest.config.ts'], checks: { failsWithout: true, passesWith: true, seeds: 4 } })
    expect(json.patches[0]!.diff).toContain('unstubEnvs: true')
    expect(treeHash(project)).toBe(before)
    expectApplies(project, json.patches[0]!.diff)
    // A passing order too (the victim first), so flaky lists the test: its patch is ready.
    const ids = ['shop > storefront in the euro zone', 'shop > prices in dollars by default', 'shop > lists products'].map((n) => testId('', file, n))
    expect((await project.runVitest([], { FLAKESEED_SEED: seedsWhere(ids, (o) => runsBefore(o, ids[1]!, ids[0]!), 1)[0]! })).code).toBe(0)
    const flaky = await project.runCli(['flaky'])
    expect(flaky.stdout).toMatch(/^ {6}patch ready: npx flakeseed fix \d+ --test 'test\/shop\.test\.ts > shop > prices in dollars by default' --apply$/m)
    // `last` is the passing run now: the failing one by its id.
    const failing = /of run (\d+) /.exec(json.patches[0]!.verified)![1]!
    expect((await project.runCli(['fix', failing, '--apply'])).code).toBe(0)
    expect((await project.runCliJson<Array<{ test: string; patch?: { state: string } }>>(['flaky'])).find((r) => r.test === ids[1])?.patch?.state).toBe(
      'applied',
    )
    await expectSeedsPass(project, seeds)
  })

  test('one fixture, one remedy per file: a spy (restoreMocks), fake timers under globals: true (no import added), an exported object, a file left behind; all verified, applied, and the seeds pass', async () => {
    const victims: Array<[string, string, string, string]> = [
      ['test/spy.test.ts', 'logger', 'silences warnings', 'warns for real'],
      ['test/timers.test.ts', 'clock', 'freezes time', 'runs on real time'],
      ['test/settings.test.ts', 'settings', 'switches to french', 'speaks english by default'],
      ['test/files.test.ts', 'export', 'writes the report', 'starts with no report'],
    ]
    const files: Files = { 'vitest.config.ts': config('', PATCHED.perFile.config), ...PATCHED.perFile.files }
    const project = createProject(files)
    const ids = (f: (typeof victims)[number]) => [f[2], 'idle', f[3]].map((n) => testId('', f[0], `${f[1]} > ${n}`))
    const [seed, ...more] = seedsWhere(victims.flatMap(ids), (o) => victims.every((v) => runsBefore(o, ids(v)[0]!, ids(v)[2]!)), 4)
    const run = await project.runVitest([], { FLAKESEED_SEED: seed! })
    expect(run.code, run.output).toBe(1)
    // What the failing run wrote is not the code under test.
    project.remove('out/report.txt')
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--seeds', '3', '--json'])
    expect(result.code, result.output).toBe(0)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.unpatched).toEqual([])
    expect(json.patches.map((p) => [p.victim, p.files])).toEqual(
      [
        [ids(victims[1]!)[2], ['test/timers.test.ts']],
        [ids(victims[0]!)[2], ['vitest.config.ts']],
        [ids(victims[3]!)[2], ['test/files.test.ts']],
        [ids(victims[2]!)[2], ['test/settings.test.ts']],
      ].sort((a, b) => json.patches.findIndex((p) => p.victim === a[0]) - json.patches.findIndex((p) => p.victim === b[0])),
    )
    for (const p of json.patches) {
      expect(p.checks, p.victim).toMatchObject({ failsWithout: true, passesWith: true, seeds: 4 })
      expectApplies(project, p.diff)
    }
    expect(treeHash(project)).toBe(before)
    // globals: true and no import in the file: the patch adds none.
    expect(json.patches.find((p) => p.files[0] === 'test/timers.test.ts')!.diff).not.toMatch(/^\+import/m)
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ['test/files.test.ts', 'test/settings.test.ts', 'test/timers.test.ts', 'vitest.config.ts'].map((f) => `wrote ${f}`),
    )
    await expectSeedsPass(project, [seed!, ...more])
  }, 300_000)

  test('state re-polluted by a beforeAll: the obvious patch fails its check and is not called verified', async () => {
    const file = 'test/shop.test.ts'
    const { project } = await failingRun({ [file]: PATCHED.rePolluted }, file, 'euro zone > storefront', 'shop > prices in dollars by default', [
      'shop > lists products',
    ])
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--json'])
    expect(result.code, result.output).toBe(1)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.patches).toEqual([])
    expect(json.unpatched).toEqual([{ victim: testId('', file, 'shop > prices in dollars by default'), why: expect.any(String) }])
    expect(treeHash(project)).toBe(before)
  })

  test('module-private state (a let nothing exports): no patch claimed, and why', async () => {
    const file = 'test/counter.test.ts'
    const { project } = await failingRun(
      {
        'src/counter.ts': `let count = 0\nexport function bump(): number {\n  return ++count\n}\n`,
        [file]: [
          `import { describe, expect, test } from 'vitest'`,
          `import { bump } from '../src/counter'`,
          `describe('counter', () => {`,
          `  test('bumps once', () => { bump() })`,
          `  test('idle', () => {})`,
          `  test('first bump is 1', () => { expect(bump()).toBe(1) })`,
          `})`,
          ``,
        ].join('\n'),
      },
      file,
      'counter > bumps once',
      'counter > first bump is 1',
      ['counter > idle'],
    )
    const result = await project.runCli(['fix', 'last', '--json'])
    expect(result.code, result.output).toBe(1)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.patches).toEqual([])
    expect(json.unpatched).toHaveLength(1)
    expect(json.unpatched[0]!.why.length).toBeGreaterThan(0)
  })

  test('in the failing job: the bisect option adds the verified patch to the job summary as a diff with the apply command', async () => {
    const file = 'test/shop.test.ts'
    const project = createProject({
      'vitest.config.ts': config(`{ bisect: { onFailure: 'new', budget: 120 } }`, 'fileParallelism: false'),
      [file]: [
        `import { describe, expect, test } from 'vitest'`,
        `describe('shop', () => {`,
        `  test('storefront in the euro zone', () => { process.env.SHOP_CURRENCY = 'EUR' })`,
        `  test('lists products', () => {})`,
        `  test('prices in dollars by default', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })`,
        `})`,
        ``,
      ].join('\n'),
    })
    const ids = ['shop > storefront in the euro zone', 'shop > prices in dollars by default', 'shop > lists products'].map((n) => testId('', file, n))
    const before = treeHash(project)
    const summary = join(project.dir, '..', `summary-${Date.now()}.md`)
    const run = await project.runVitest([], { FLAKESEED_SEED: seedsWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!), 1)[0]!, GITHUB_STEP_SUMMARY: summary })
    expect(run.code, run.output).toBe(1)
    expect(run.stdout).toMatch(/^apply: npx flakeseed fix \d+ --apply$/m)
    // One remedy: the bisect's fix line says the patch verified after it; verified here, no command to verify it again.
    const remedy = "save process.env.SHOP_CURRENCY before each test and put it back after in describe 'shop' of test/shop.test.ts"
    expect(run.stdout).toContain(`fix      ${remedy}; verified by undoing the leak, not by running this code`)
    expect(run.stdout).toContain(`flakeseed patch for ${ids[1]}: ${remedy} (verified: the failing order of run`)
    expect(run.stdout).not.toMatch(/^patch {4}npx flakeseed fix/m)
    const md = readFileSync(summary, 'utf8')
    expect(md).toMatch(
      /Patch for <code>test\/shop\.test\.ts &gt; shop &gt; prices in dollars by default<\/code>: .*\(verified: the failing order of run \d+ fails without it and passes with it; 1 file × 11 seeds pass\)/,
    )
    expect(md).toMatch(/```diff\n--- a\/test\/shop\.test\.ts\n\+\+\+ b\/test\/shop\.test\.ts\n/)
    expect(md).toMatch(/Apply it:\n```sh\nnpx flakeseed fix \d+ --apply\n```/)
    expect(treeHash(project)).toBe(before)
  })

  test('--apply refuses when a file the check ran changed, though the patched file did not: the source under test, the victim’s unpatched test file', async () => {
    const { file, files } = PATCHED.spyOnModule
    const { project } = await failingRun(files, file, 'logger > silences warnings', 'logger > warns for real', ['logger > idle'])
    const json = await project.runCliJson<FixJson>(['fix', 'last', '--seeds', '1'])
    expect(json.patches.map((p) => p.files)).toEqual([['vitest.config.ts']])
    const config = project.read('vitest.config.ts')
    const logger = project.read('src/logger.ts')
    const spec = project.read(file)
    project.write({ 'src/logger.ts': `${logger}// edited\n` })
    expectOneLineError(
      await project.runCli(['fix', 'last', '--apply']),
      'flakeseed: src/logger.ts changed since the patch was verified (its check ran it); run fix again',
    )
    project.write({ 'src/logger.ts': logger, [file]: spec.replace('idle', 'idles') })
    expectOneLineError(
      await project.runCli(['fix', 'last', '--apply']),
      `flakeseed: ${file} changed since the patch was verified (its check ran it); run fix again`,
    )
    expect(project.read('vitest.config.ts')).toBe(config)
    // The bytes put back, it applies.
    project.write({ [file]: spec })
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout).toBe('wrote vitest.config.ts\n')
  })

  test('--apply refuses when a module the check imported through a Vite alias changed: the file Vite loaded for `@/lib/logger`', async () => {
    const file = 'test/spy.test.ts'
    const { project } = await failingRun(
      {
        'vitest.config.ts': [
          `import { fileURLToPath } from 'node:url'`,
          `import { defineConfig } from 'vitest/config'`,
          `import flakeseed from 'flakeseed'`,
          `export default defineConfig({`,
          `  plugins: [flakeseed()],`,
          `  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },`,
          `  test: { fileParallelism: false },`,
          `})`,
          ``,
        ].join('\n'),
        // The spy-on-a-module fixture, its logger imported through the alias.
        'src/lib/logger.ts': PATCHED.spyOnModule.files['src/logger.ts']!,
        [file]: PATCHED.spyOnModule.files[file]!.replace(`from '../src/logger'`, `from '@/lib/logger'`),
      },
      file,
      'logger > silences warnings',
      'logger > warns for real',
      ['logger > idle'],
    )
    const json = await project.runCliJson<FixJson>(['fix', 'last', '--seeds', '1'])
    expect(json.patches.map((p) => p.files)).toEqual([['vitest.config.ts']])
    const config = project.read('vitest.config.ts')
    const logger = project.read('src/lib/logger.ts')
    // No import a parser can follow names src/lib/logger.ts: only the run's own resolution does.
    project.write({ 'src/lib/logger.ts': `${logger}// edited\n` })
    expectOneLineError(
      await project.runCli(['fix', 'last', '--apply']),
      'flakeseed: src/lib/logger.ts changed since the patch was verified (its check ran it); run fix again',
    )
    expect(project.read('vitest.config.ts')).toBe(config)
    // The bytes put back, it applies.
    project.write({ 'src/lib/logger.ts': logger })
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout).toBe('wrote vitest.config.ts\n')
  })

  test('a patched file that holds a GitHub token: the diff is not printed and the patch not stored; --apply says so, verifies it again and writes it', async () => {
    const file = 'test/shop.test.ts'
    const { token, files } = PATCHED.githubToken
    const { project, seeds } = await failingRun(
      files,
      file,
      'shop > storefront in the euro zone',
      'shop > prices in dollars by default',
      ['shop > lists products'],
      3,
    )
    const printed = await project.runCli(['fix', 'last', '--seeds', '2'])
    expect(printed.code, printed.output).toBe(0)
    expect(printed.output).not.toContain('ghp_')
    expect(printed.stdout).toContain('(the diff is not shown: lines in it look like they hold a secret; --apply writes it)\n')
    expect(printed.stdout).toMatch(/^verified: the failing order of run \d+ fails without it and passes with it/m)
    const db = new Database(join(project.dir, '.flakeseed/history.db'), { readonly: true })
    const rows = db.prepare('SELECT * FROM patches').all() as Array<{ withheld: number | null }>
    db.close()
    expect(rows.map((r) => r.withheld)).toEqual([1])
    expect(JSON.stringify(rows)).not.toContain('ghp_')
    expect(readFileSync(join(project.dir, '.flakeseed/history.db')).includes('ghp_')).toBe(false)
    const applied = await project.runCli(['fix', 'last', '--apply', '--seeds', '2'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout.split('\n')[0]).toBe('flakeseed: the patch was not stored (the file holds what looks like a secret): verifying it again')
    expect(applied.output).not.toContain('ghp_')
    expect(applied.stdout).toContain(`wrote ${file}`)
    expect(project.read(file)).toContain(token)
    await expectSeedsPass(project, seeds)
  })

  test('one polluter, two victims of two different leaks: the shared patch fixes one, is claimed for it, and the other says why', async () => {
    const file = 'test/shop.test.ts'
    const names = ['shop > moves to france', 'shop > prices in dollars by default', 'shop > speaks english by default', 'shop > idle']
    const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...PATCHED.twoLeaks.files })
    const ids = names.map((n) => testId('', file, n))
    const [seed] = seedsWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!) && runsBefore(o, ids[0]!, ids[2]!), 1)
    expect((await project.runVitest([], { FLAKESEED_SEED: seed! })).code).toBe(1)
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--json', '--seeds', '2'])
    expect(result.code, result.output).toBe(1)
    const json = JSON.parse(result.stdout) as FixJson
    // Each victim's own leak: whichever was patched first, its patch undoes only what it needs.
    expect(json.patches).toHaveLength(1)
    const [patch] = json.patches
    const other = patch!.victim === ids[1] ? ids[2]! : ids[1]!
    expect([ids[1], ids[2]]).toContain(patch!.victim)
    expect(patch!.checks).toMatchObject({ failsWithout: true, passesWith: true, seeds: 3 })
    expect(patch!.verified).toMatch(/^the failing order of run \d+ fails without it and passes with it; 1 file × 3 seeds pass$/)
    expect(json.unpatched).toEqual([
      {
        victim: other,
        why: expect.stringMatching(
          new RegExp(
            `^the patch for ${patch!.victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, a victim of the same polluters, does not fix it: with the patch, the failing order of ${other} still fails`,
          ),
        ),
      },
    ])
    expect(treeHash(project)).toBe(before)
    expectApplies(project, patch!.diff)
  })

  test('--apply refuses when the state module the victim imports through a tsconfig `paths` alias (Vite’s own resolve.tsconfigPaths) changed', async () => {
    const { file, files } = PATCHED.tsconfigPaths
    const { project, seeds } = await failingRun(files, file, 'settings > switches to french', 'settings > speaks english by default', ['settings > idle'], 3)
    const json = await project.runCliJson<FixJson>(['fix', 'last', '--seeds', '2'])
    expect(json.unpatched).toEqual([])
    expect(json.patches.map((p) => [p.files, p.leak])).toEqual([[[file], 'src/state/settings.ts: settings.locale']])
    const spec = project.read(file)
    const settings = project.read('src/state/settings.ts')
    // No relative import names src/state/settings.ts: only the run's tsconfig resolution does.
    project.write({ 'src/state/settings.ts': `${settings}// edited\n` })
    expectOneLineError(
      await project.runCli(['fix', 'last', '--apply']),
      'flakeseed: src/state/settings.ts changed since the patch was verified (its check ran it); run fix again',
    )
    expect(project.read(file)).toBe(spec)
    project.write({ 'src/state/settings.ts': settings })
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout).toBe(`wrote ${file}\n`)
    await expectSeedsPass(project, seeds)
  })

  test('bad input: one line, exit 2', async () => {
    const project = createProject({ 'vitest.config.ts': config(), 'a.test.ts': `import { test } from 'vitest'\ntest('a', () => {})\n` })
    expect((await project.runVitest()).code).toBe(0)
    expectOneLineError(await project.runCli(['fix', 'last', '--test', 'nope']), /did not fail|no test/)
    expectOneLineError(await project.runCli(['fix', 'last', '--seeds', '0']), /seeds/)
  })
})
