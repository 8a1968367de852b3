// Fix (issue 21): what `flakeseed fix` costs for one victim — the patch written and verified (the
// failing order without and with it, then the victim's file under the recorded seed and 10 more)
// — beside what `flakeseed bisect` took to find that victim's polluter in the same project.
//
// The suite: 4 generated files × 20 tests (bench/lib.mjs) and a shop file whose test `storefront in
// the euro zone` sets an env var the victim `prices in dollars by default` reads. Steps: record a
// run whose seed puts the polluter first, `bisect last --json` (timed: the bisect with its
// diagnosis, stored), then `fix last --json` (timed: it takes the stored finding, so this is the
// patch and its verification alone, the Vitest instances' starts included).
//
// Target (docs: DESIGN.md, Targets): fix ≤ the bisect's own time for that victim.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fmtMs, generateSuite, installApp, ROOT, runCommand, WORK, writeConfig } from './lib.mjs'

const SHOP = 'test/shop.test.ts'
const NAMES = ['storefront in the euro zone', 'lists products', 'adds to cart', 'prices in dollars by default']

export async function run({ log = console.log } = {}) {
  const { sortByKey } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'order.js')).href)
  const { testId } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'names.js')).href)
  const dir = join(WORK, 'fix')
  installApp(dir)
  generateSuite(dir, { files: 4, testsPerFile: 20 })
  writeFileSync(
    join(dir, SHOP),
    [
      `import { describe, expect, test } from 'vitest'`,
      `describe('shop', () => {`,
      `  test('storefront in the euro zone', () => { process.env.SHOP_CURRENCY = 'EUR' })`,
      `  test('lists products', () => {})`,
      `  test('adds to cart', () => {})`,
      `  test('prices in dollars by default', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })`,
      `})`,
      ``,
    ].join('\n'),
  )
  const config = writeConfig(dir, 'fix', {
    imports: [`import flakeseed from 'flakeseed'`],
    body: `{ plugins: [flakeseed()], test: { fileParallelism: false } }`,
  })
  const ids = NAMES.map((n) => testId('', SHOP, `shop > ${n}`))
  let seed
  for (let s = 1; seed === undefined; s++) {
    const order = sortByKey(ids, String(s), (x) => x)
    if (order.indexOf(ids[0]) < order.indexOf(ids[3])) seed = String(s)
  }
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', FLAKESEED_SEED: seed }
  const vitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs')
  const cli = join(dir, 'node_modules', 'flakeseed', 'dist', 'cli', 'index.js')
  const recorded = runCommand(process.execPath, [vitest, 'run', '--config', config], { cwd: dir, env, allowFail: true })
  if (recorded.status !== 1) throw new Error(`fix: the recorded run should fail once, exit ${recorded.status}`)
  delete env.FLAKESEED_SEED
  const bisect = runCommand(process.execPath, [cli, 'bisect', 'last', '--json'], { cwd: dir, env, allowFail: true })
  if (bisect.status !== 1) throw new Error(`fix: bisect should find the polluter, exit ${bisect.status}\n${bisect.stderr}`)
  const fix = runCommand(process.execPath, [cli, 'fix', 'last', '--json'], { cwd: dir, env, allowFail: true })
  if (fix.status !== 0) throw new Error(`fix: fix should verify a patch, exit ${fix.status}\n${fix.stdout}\n${fix.stderr}`)
  const [patch] = JSON.parse(fix.stdout).patches
  log(`suite: 4 files × 20 tests + the shop (polluter and victim in one describe), seed ${seed}`)
  log(
    `bisect (with diagnosis): ${fmtMs(bisect.ms)} · fix (patch + verification, ${patch.checks.seeds} seeds): ${fmtMs(fix.ms)}, ${patch.seconds.toFixed(1)} s inside`,
  )
  log(`verified: ${patch.verified}`)
  return [
    { name: 'fix / bisect, one victim (wall)', value: fix.ms / bisect.ms, target: 1, detail: `${fmtMs(fix.ms)} vs ${fmtMs(bisect.ms)}` },
    { name: 'fix seconds (patch + verification)', value: patch.seconds, target: NaN, unit: 's' },
  ]
}
