// `flakeseed fix` end to end: a real failing run of a fixture, `fix` prints a patch it verified
// without touching the project, the printed diff applies with `git apply`, and after `--apply` the
// failing seed and more seeds pass. Cases where no patch may be claimed claim none. The remedies by
// kind of leak: fix-remedies.test.ts; runs with several victims: fix-victims.test.ts.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { expectOneLineError, runsBefore, seedsWhere } from '../helpers/cli.js'
import { expectApplies, expectSeedsPass, type FixJson, failingRun } from '../helpers/fix.js'
import { config, createProject } from '../helpers/project.js'
import { treeHash } from '../helpers/files.js'
import { PATCHED } from '../fixtures/leaks.mjs'

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
