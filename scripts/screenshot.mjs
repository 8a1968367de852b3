// docs/flaky.md's picture of `flakeseed report --html`: records a real history of the example shop
// (examples/shop, plus a few tests that stand for what real suites also have: a timing flake, a
// test a commit breaks, one a commit fixes), over two commits and many seeds, bisects its
// order-dependent failure, writes the report and screenshots it in headless Chromium.
//
//   npm run build && node scripts/screenshot.mjs [docs/report.png]
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { findChromium, openPage, screenshot } from './chromium.mjs'
import { linkModules, REPO } from './sandbox.mjs'

const out = resolve(process.argv[2] ?? join(REPO, 'docs/report.png'))
const chromium = findChromium()
if (!chromium) {
  console.error('screenshot: chromium not found (apt-get install chromium, or set CHROMIUM)')
  process.exit(1)
}

const sandbox = mkdtempSync(join(tmpdir(), 'flakeseed-screenshot-'))
const dir = join(sandbox, 'shop')
process.on('exit', () => rmSync(sandbox, { recursive: true, force: true }))
linkModules(sandbox)
cpSync(join(REPO, 'examples/shop'), dir, { recursive: true })

const write = (files) => {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
}
const git = (...args) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' })
const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' }
for (const key of ['FLAKESEED_SEED', 'FLAKESEED_DB', 'CI', 'GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY']) delete env[key]
const bin = (name) => join(sandbox, 'node_modules/.bin', name)

write({
  '.gitignore': '.flakeseed/\nnode_modules/\n',
  // Commit A ships a free-shipping bug that commit B fixes; B breaks the stock check instead.
  'src/shipping.ts': `export const shipping = (total: number) => (total > 5000 ? 0 : 490)\n`,
  'test/shipping.test.ts': [
    `import { expect, test } from 'vitest'`,
    `import { shipping } from '../src/shipping.js'`,
    `test('free shipping from 50 EUR', () => expect(shipping(5000)).toBe(0))`,
    '',
  ].join('\n'),
  'src/stock.ts': `export const inStock = (sku: string) => sku !== 'sold-out'\n`,
  'test/stock.test.ts': [
    `import { expect, test } from 'vitest'`,
    `import { inStock } from '../src/stock.js'`,
    `test('a book is in stock', () => expect(inStock('book')).toBe(true))`,
    // Stands for a test that waits on a slow service: whether it times out is not up to the order.
    `test('search answers within 200 ms', async () => {`,
    `  const took = process.env.SLOW_SEARCH ? 450 : 40`,
    `  expect(took).toBeLessThan(200)`,
    `})`,
    '',
  ].join('\n'),
})

git('init', '-q', '-b', 'main')
git('config', 'user.email', 'shop@example.com')
git('config', 'user.name', 'shop')
git('add', '-A')
git('commit', '-qm', 'A: shop')

function vitest(seed, extra = {}) {
  const result = spawnSync(bin('vitest'), ['run', '--reporter=dot'], { cwd: dir, env: { ...env, FLAKESEED_SEED: String(seed), ...extra }, encoding: 'utf8' })
  const line = `${result.stdout}${result.stderr}`.split('\n').find((l) => l.startsWith('flakeseed run')) ?? ''
  console.log(`  ${line || `seed ${seed}: exit ${result.status}`}`)
}

console.log(`recording a history of ${dir}`)
for (const [seed, slow] of [
  [11, 0],
  [12, 0],
  [13, 1],
  [14, 0],
  [13, 0],
  [15, 0],
  [13, 1],
  [16, 0],
  [17, 0],
])
  vitest(seed, slow ? { SLOW_SEARCH: '1' } : {})
writeFileSync(join(dir, 'src/shipping.ts'), `export const shipping = (total: number) => (total >= 5000 ? 0 : 490)\n`)
writeFileSync(join(dir, 'src/stock.ts'), `export const inStock = (sku: string) => sku === 'sold-out'\n`)
git('commit', '-qam', 'B: fix free shipping, refactor stock')
for (const [seed, slow] of [
  [18, 0],
  [19, 0],
  [20, 0],
  [21, 1],
  [22, 0],
  [23, 0],
  [24, 0],
  [25, 0],
  [26, 0],
  [27, 0],
  [28, 1],
])
  vitest(seed, slow ? { SLOW_SEARCH: '1' } : {})

const cli = (...args) => spawnSync(bin('flakeseed'), args, { cwd: dir, env, encoding: 'utf8' })
const victim = 'test/cart.test.ts > cart > a new cart is empty'
const failed = JSON.parse(cli('history', victim, '--json').stdout).find((r) => r.state === 'failed')
if (failed) {
  console.log(`bisecting the order-dependent cart test (run ${failed.run})`)
  cli('bisect', String(failed.run), '--test', victim)
}
console.log(cli('flaky').stdout)

const html = join(sandbox, 'report.html')
const report = cli('report', '--html', html)
if (report.status !== 0) throw new Error(report.stderr)
const page = openPage(chromium, html)
if (page.console.length) throw new Error(`the report logged to the console:\n${page.console.join('\n')}`)
mkdirSync(dirname(out), { recursive: true })
screenshot(chromium, html, out, 1200, 1500)
console.log(`wrote ${out}`)
