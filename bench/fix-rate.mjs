// Fix's success rate (issue 21): every order-dependent fixture of our test suite, listed below with
// the test it comes from, recorded failing, then `flakeseed fix last --json`. The rate is verified
// patches / victims with a verified leak (a finding whose diagnosis undid a leak and saw the victim
// pass). Victims without one (module-private state) are listed apart: no patch is claimed for them.
//
//   node bench/run.mjs fix-rate          (after `npm run build`; FIX_RATE_SEEDS=N, default 2)
//
// Each fixture runs in its own folder under bench/.work/fix-rate/ sharing one installed flakeseed.
// The failing run is the first seed from 1 up whose run fails (the fixtures fail for half or a
// third of the seeds). The fixtures' sources are the tests' own (test/fixtures/leaks.mjs).
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { LEAKS, LOCALE, localeTest, PATCHED, SETTER_BODY, SHOP, TRANSLATE_TEST, TRANSLATOR } from '../test/fixtures/leaks.mjs'
import { installApp, ROOT, runCommand, WORK } from './lib.mjs'

const config = (test = '') =>
  `import { defineConfig } from 'vitest/config'\nimport flakeseed from 'flakeseed'\nexport default defineConfig({ plugins: [flakeseed()], test: { fileParallelism: false, ${test} } })\n`

/** Each fixture of the tests, by the name the rate's lines print (the sources: test/fixtures/leaks.mjs). */
export const FIXTURES = [
  { name: 'env set directly', from: 'diagnose.test.ts', ...LEAKS.env },
  { name: 'spy never restored', from: 'diagnose.test.ts', ...LEAKS.spy },
  { name: 'fake timers left on', from: 'diagnose.test.ts', ...LEAKS.timers },
  { name: 'vi.stubGlobal never unstubbed', from: 'diagnose.test.ts', ...LEAKS.stubGlobal },
  { name: 'exported object mutated', from: 'diagnose.test.ts', ...LEAKS.module },
  { name: 'file left on disk', from: 'diagnose.test.ts', ...LEAKS.file },
  { name: 'localStorage key in jsdom', from: 'diagnose.test.ts', ...LEAKS.dom },
  { name: 'secret-looking env name', from: 'diagnose.test.ts', ...LEAKS.secret },
  { name: 'module-private counter', from: 'diagnose.test.ts', ...LEAKS.counter },
  { name: 'env across files (isolate: false)', from: 'diagnose.test.ts', ...LEAKS.acrossFiles },
  { name: 'brittle: needs a setter’s env', from: 'diagnose.test.ts', ...LEAKS.brittle },
  { name: 'env, JS with 4 spaces and semicolons', from: 'fix.test.ts', files: { [PATCHED.jsStyle.file]: PATCHED.jsStyle.text } },
  { name: 'vi.stubEnv', from: 'fix-remedies.test.ts', files: { [SHOP]: PATCHED.stubEnv } },
  { name: 'globals: true: spy, timers, exported object, file (4 victims)', from: 'fix-remedies.test.ts', ...PATCHED.perFile },
  { name: 're-polluted by a beforeAll', from: 'fix.test.ts', files: { [SHOP]: PATCHED.rePolluted } },
  { name: 'spy on a source module’s console', from: 'fix.test.ts', files: PATCHED.spyOnModule.files },
  { name: 'two polluters, three victims in one file', from: 'fix-all.test.ts', ...PATCHED.twoPolluters },
  { name: 'one polluter, two leaks, each victim reads one', from: 'fix-victims.test.ts', ...PATCHED.twoLeaks },
  { name: 'exported object through a tsconfig paths alias', from: 'fix.test.ts', files: PATCHED.tsconfigPaths.files },
  { name: 'env, in a file holding a GitHub token', from: 'fix.test.ts', files: PATCHED.githubToken.files },
  {
    name: 'brittle: its setter calls setLocale (yup’s shape)',
    from: 'fix-setter.test.ts',
    files: { 'src/locale.js': LOCALE, 'test/locale.test.ts': localeTest(SETTER_BODY) },
  },
  {
    name: 'a describe let reassigned and a spy’s call (i18next’s shape)',
    from: 'fix-two-causes.test.ts',
    files: { 'src/translator.js': TRANSLATOR, 'test/translate.test.js': TRANSLATE_TEST },
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
