// Fix's success rate (issue 21): every order-dependent fixture of our test suite, listed below with
// the test it comes from, recorded failing, then `flakeseed fix last --json`. The rate is verified
// patches / victims with a verified leak (a finding whose diagnosis undid a leak and saw the victim
// pass). Victims without one (module-private state) are listed apart: no patch is claimed for them.
//
//   node bench/run.mjs fix-rate          (after `npm run build`; FIX_RATE_SEEDS=N, default 2)
//
// Each fixture runs in its own folder under bench/.work/fix-rate/ sharing one installed flakeseed.
// The failing run is the first seed from 1 up whose run fails (the fixtures fail for half or a
// third of the seeds). Keep the list in step with the tests it names.
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { installApp, ROOT, runCommand, WORK } from './lib.mjs'

const config = (test = '') =>
  `import { defineConfig } from 'vitest/config'\nimport flakeseed from 'flakeseed'\nexport default defineConfig({ plugins: [flakeseed()], test: { fileParallelism: false, ${test} } })\n`

/** diagnose.test.ts's shop: the polluter, two quiet tests and the victim in one describe. */
const shop = (pollute, check, imports = `import { describe, expect, test, vi } from 'vitest'`) =>
  [
    imports,
    `describe('shop', () => {`,
    `  test('storefront in the euro zone', () => { ${pollute} })`,
    `  test('lists products', () => {})`,
    `  test('adds to cart', () => {})`,
    `  test('prices in dollars by default', () => { ${check} })`,
    `})`,
    '',
  ].join('\n')

const S = 'test/shop.test.ts'
const ENV = [`process.env.SHOP_CURRENCY = 'EUR'`, `expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD')`]

export const FIXTURES = [
  { name: 'env set directly', from: 'diagnose.test.ts', files: { [S]: shop(...ENV) } },
  {
    name: 'spy never restored',
    from: 'diagnose.test.ts',
    files: { [S]: shop(`vi.spyOn(Date, 'now').mockReturnValue(0)`, `expect(Date.now()).toBeGreaterThan(0)`) },
  },
  {
    name: 'fake timers left on',
    from: 'diagnose.test.ts',
    files: { [S]: shop(`vi.useFakeTimers(); vi.setSystemTime(new Date('2001-02-03T00:00:00Z'))`, `expect(new Date().getFullYear()).toBeGreaterThan(2020)`) },
  },
  {
    name: 'vi.stubGlobal never unstubbed',
    from: 'diagnose.test.ts',
    files: { [S]: shop(`vi.stubGlobal('fetch', vi.fn(async () => new Response('{}')))`, `expect(vi.isMockFunction(globalThis.fetch)).toBe(false)`) },
  },
  {
    name: 'exported object mutated',
    from: 'diagnose.test.ts',
    files: {
      'src/settings.ts': `export const settings = { locale: 'en-US', currency: 'USD' }\nexport const price = (n: number) => new Intl.NumberFormat(settings.locale).format(n)\n`,
      [S]: shop(
        `settings.locale = 'de-DE'`,
        `expect(price(1.5)).toBe('1.5')`,
        `import { describe, expect, test } from 'vitest'\nimport { price, settings } from '../src/settings'`,
      ),
    },
  },
  {
    name: 'file left on disk',
    from: 'diagnose.test.ts',
    config: `setupFiles: ['./clean.ts']`,
    files: {
      'clean.ts': `import { rmSync } from 'node:fs'\nrmSync('out', { recursive: true, force: true })\n`,
      [S]: shop(
        `mkdirSync('out', { recursive: true }); writeFileSync('out/cart.json', '[1]')`,
        `expect(existsSync('out/cart.json')).toBe(false)`,
        `import { describe, expect, test } from 'vitest'\nimport { existsSync, mkdirSync, writeFileSync } from 'node:fs'`,
      ),
    },
  },
  {
    name: 'localStorage key in jsdom',
    from: 'diagnose.test.ts',
    config: `environment: 'jsdom'`,
    files: { [S]: shop(`localStorage.setItem('cart', '[3]')`, `expect(localStorage.getItem('cart')).toBeNull()`) },
  },
  {
    name: 'secret-looking env name',
    from: 'diagnose.test.ts',
    files: { [S]: shop(`process.env.API_TOKEN = 's3cr3t-0123456789'`, `expect(process.env.API_TOKEN === undefined).toBe(true)`) },
  },
  {
    name: 'module-private counter',
    from: 'diagnose.test.ts',
    files: {
      'src/counter.ts': `let count = 0\nexport const next = () => ++count\nexport const reset = () => { count = 0 }\n`,
      [S]: [
        `import { describe, expect, test } from 'vitest'`,
        `import { next, reset } from '../src/counter'`,
        `describe('shop', () => {`,
        `  test('storefront in the euro zone', () => { next() })`,
        `  test('lists products', () => {})`,
        `  test('prices in dollars by default', () => { expect(next()).toBe(1) })`,
        `  test('resets the counter', () => { reset() })`,
        `})`,
        ``,
      ].join('\n'),
    },
  },
  {
    name: 'env across files (isolate: false)',
    from: 'diagnose.test.ts',
    config: 'isolate: false',
    files: {
      'test/a.test.ts': `import { test } from 'vitest'\ntest('sets the currency', () => { process.env.SHOP_CURRENCY = 'EUR' })\ntest('quiet', () => {})\n`,
      'test/b.test.ts': `import { expect, test } from 'vitest'\ntest('prices in dollars', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })\n`,
    },
  },
  {
    name: 'brittle: needs a setter’s env',
    from: 'diagnose.test.ts',
    files: { [S]: shop(`process.env.SHOP_LOCALE = 'de'`, `expect(process.env.SHOP_LOCALE).toBe('de')`) },
  },
  {
    name: 'env, JS with 4 spaces and semicolons',
    from: 'fix.test.ts',
    files: {
      'test/shop.test.js': [
        `import { describe, expect, test } from 'vitest';`,
        ``,
        `describe('shop', () => {`,
        `    test('storefront in the euro zone', () => {`,
        `        process.env.SHOP_CURRENCY = 'EUR';`,
        `    });`,
        `    test('lists products', () => {});`,
        `    test('prices in dollars by default', () => {`,
        `        expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD');`,
        `    });`,
        `});`,
        ``,
      ].join('\n'),
    },
  },
  { name: 'vi.stubEnv', from: 'fix.test.ts', files: { [S]: shop(`vi.stubEnv('SHOP_CURRENCY', 'EUR')`, ENV[1]) } },
  {
    name: 'globals: true: spy, timers, exported object, file (4 victims)',
    from: 'fix.test.ts',
    config: 'globals: true',
    files: {
      'src/settings.ts': `export const settings = { locale: 'en' }\n`,
      'test/spy.test.ts': `describe('logger', () => {\n  test('silences warnings', () => {\n    vi.spyOn(console, 'warn').mockImplementation(() => {})\n  })\n  test('idle', () => {})\n  test('warns for real', () => {\n    expect(vi.isMockFunction(console.warn)).toBe(false)\n  })\n})\n`,
      'test/timers.test.ts': `describe('clock', () => {\n  test('freezes time', () => {\n    vi.useFakeTimers()\n  })\n  test('idle', () => {})\n  test('runs on real time', () => {\n    expect(vi.isFakeTimers()).toBe(false)\n  })\n})\n`,
      'test/settings.test.ts': `import { settings } from '../src/settings'\n\ndescribe('settings', () => {\n  test('switches to french', () => {\n    settings.locale = 'fr'\n  })\n  test('idle', () => {})\n  test('speaks english by default', () => {\n    expect(settings.locale).toBe('en')\n  })\n})\n`,
      'test/files.test.ts': `import { existsSync, mkdirSync, writeFileSync } from 'node:fs'\n\ndescribe('export', () => {\n  test('writes the report', () => {\n    mkdirSync('out', { recursive: true })\n    writeFileSync('out/report.txt', 'x')\n  })\n  test('idle', () => {})\n  test('starts with no report', () => {\n    expect(existsSync('out/report.txt')).toBe(false)\n  })\n})\n`,
    },
  },
  {
    name: 're-polluted by a beforeAll',
    from: 'fix.test.ts',
    files: {
      [S]: [
        `import { beforeAll, describe, expect, test } from 'vitest'`,
        `describe('euro zone', () => {`,
        `  beforeAll(() => { process.env.SHOP_CURRENCY = 'EUR' })`,
        `  test('storefront', () => { expect(process.env.SHOP_CURRENCY).toBe('EUR') })`,
        `})`,
        `describe('shop', () => {`,
        `  test('lists products', () => {})`,
        `  test('prices in dollars by default', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })`,
        `})`,
        ``,
      ].join('\n'),
    },
  },
  {
    name: 'spy on a source module’s console',
    from: 'fix.test.ts',
    files: {
      'src/logger.ts': `export function warn(message: string): void {\n  console.warn(message)\n}\n`,
      'test/spy.test.ts': [
        `import { describe, expect, test, vi } from 'vitest'`,
        `import { warn } from '../src/logger'`,
        `describe('logger', () => {`,
        `  test('silences warnings', () => { vi.spyOn(console, 'warn').mockImplementation(() => {}); warn('quiet') })`,
        `  test('idle', () => {})`,
        `  test('warns for real', () => { expect(vi.isMockFunction(console.warn)).toBe(false) })`,
        `})`,
        ``,
      ].join('\n'),
    },
  },
  {
    name: 'two polluters, three victims in one file',
    from: 'fix-all.test.ts',
    files: {
      'src/settings.ts': `export const settings = { locale: 'en' }\n`,
      [S]: [
        `import { describe, expect, test } from 'vitest'`,
        `import { settings } from '../src/settings'`,
        `describe('euro zone', () => {`,
        `  test('sets the currency', () => { process.env.SHOP_CURRENCY = 'EUR' })`,
        `})`,
        `describe('french', () => {`,
        `  test('switches the locale', () => { settings.locale = 'fr' })`,
        `})`,
        `describe('shop', () => {`,
        `  test('prices in dollars', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })`,
        `  test('totals in dollars', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })`,
        `  test('speaks english', () => { expect(settings.locale).toBe('en') })`,
        `})`,
        ``,
      ].join('\n'),
    },
  },
  { name: 'the example shop (cart.items)', from: 'examples/shop (docs.test.ts)', example: 'examples/shop' },
]

/** The fixture's files: its own, or the example's as they are in the repository. */
function filesOf(fixture) {
  if (!fixture.example) return { 'vitest.config.ts': config(fixture.config), ...fixture.files }
  const files = {}
  const walk = (dir, rel) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'package.json') continue
      if (entry.isDirectory()) walk(join(dir, entry.name), `${rel}${entry.name}/`)
      else files[`${rel}${entry.name}`] = readFileSync(join(dir, entry.name), 'utf8')
    }
  }
  walk(join(ROOT, fixture.example), '')
  return files
}

/** The newest finding per victim, straight from the history. */
function findings(dir) {
  const Database = createRequire(join(ROOT, 'package.json'))('better-sqlite3')
  const db = new Database(join(dir, '.flakeseed', 'history.db'), { readonly: true })
  try {
    const rows = db.prepare('SELECT victim, kind, leaks FROM findings ORDER BY id').all()
    return new Map(rows.map((r) => [r.victim, { kind: r.kind, leaks: r.leaks ? JSON.parse(r.leaks) : [] }]))
  } finally {
    db.close()
  }
}

/** One fixture: a failing run, `fix last --json`; its victims with what happened to each. */
function measure(fixture, app, index, seeds) {
  const dir = join(WORK, 'fix-rate', String(index).padStart(2, '0'))
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  symlinkSync(join(app, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n')
  for (const [path, text] of Object.entries(filesOf(fixture))) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }
  delete env.FLAKESEED_DB
  const vitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs')
  let failed = false
  for (let seed = 1; seed <= 12 && !failed; seed++) {
    failed = runCommand(process.execPath, [vitest, 'run'], { cwd: dir, env: { ...env, FLAKESEED_SEED: String(seed) }, allowFail: true }).status === 1
    if (!failed) rmSync(join(dir, 'out'), { recursive: true, force: true })
  }
  if (!failed) return { fixture, error: 'no failing seed among 1–12' }
  const cli = join(dir, 'node_modules', 'flakeseed', 'dist', 'cli', 'index.js')
  const fix = runCommand(process.execPath, [cli, 'fix', 'last', '--json', '--seeds', String(seeds)], { cwd: dir, env, allowFail: true })
  let json
  try {
    json = JSON.parse(fix.stdout)
  } catch {
    return { fixture, error: `fix exited ${fix.status}: ${fix.stderr.trim().split('\n')[0]}` }
  }
  const known = findings(dir)
  const victims = [...json.patches.map((p) => p.victim), ...json.unpatched.map((u) => u.victim)].map((victim) => {
    const finding = known.get(victim)
    const patch = json.patches.find((p) => p.victim === victim)
    return {
      victim,
      leak: Boolean(finding?.leaks.some((l) => l.verified)),
      patched: Boolean(patch),
      why: patch ? patch.remedy : json.unpatched.find((u) => u.victim === victim)?.why,
    }
  })
  return { fixture, victims, seconds: fix.ms / 1000 }
}

export async function run({ log = console.log } = {}) {
  const seeds = Number(process.env.FIX_RATE_SEEDS ?? 2)
  const app = installApp(join(WORK, 'fix-rate-app'))
  let leaks = 0
  let patched = 0
  const misses = []
  for (const [k, fixture] of FIXTURES.entries()) {
    const result = measure(fixture, app, k + 1, seeds)
    if (result.error) {
      log(`${fixture.name} (${fixture.from}): ${result.error}`)
      misses.push(`${fixture.name}: ${result.error}`)
      continue
    }
    for (const v of result.victims) {
      if (v.leak) leaks++
      if (v.leak && v.patched) patched++
      if (v.leak && !v.patched) misses.push(`${v.victim} (${fixture.name}): ${v.why}`)
      log(
        `${fixture.name} (${fixture.from}) · ${v.victim}: ${v.leak ? 'verified leak' : 'no verified leak'}, ${v.patched ? `patched (${v.why})` : `no patch: ${v.why}`}`,
      )
    }
  }
  log(`\nfix: ${patched} verified patches / ${leaks} victims with a verified leak, ${FIXTURES.length} fixtures, --seeds ${seeds}`)
  for (const m of misses) log(`  not patched: ${m}`)
  // The goal is a rate ≥ 90 %; the summary's rows are lower-is-better, so the row is what is missed.
  const missed = leaks ? 1 - patched / leaks : 1
  return [{ name: 'fix: victims with a verified leak left unpatched', value: missed, target: 0.1, unit: 'share', detail: `${patched} / ${leaks} patched` }]
}
