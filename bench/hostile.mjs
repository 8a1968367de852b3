// Hostile module state: what a hostile value in the polluter's module (a Proxy whose traps throw,
// a mocked JSON.stringify, a 1e6-entry Map, a cyclic object, getters…) costs a bisect. The
// fixtures are the test's (test/fixtures/hostile.mjs, test/integration/hostile.test.ts, which
// checks that each row still names the real leak and verifies it).
//
// Each row: a project with the row's src/state.ts, a failing run recorded (a seed that runs the
// polluter before the victim), then `flakeseed bisect last --repeat 1 --json` timed, interleaved
// with the same bisect of the baseline row (no hostile value) or, for a value that is slow to
// build, of the row's control module (builds the same value, does not export it): every probe
// pays the build either way, so only what the diagnosis spends on the value is compared.
// A fresh failing run before each bisect, so no bisect reads another's finding.
//
// Target: each row ≤ 2× its baseline (median of the interleaved pairs).
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { FILE, ROWS, shop } from '../test/fixtures/hostile.mjs'
import { alternate, fmtMs, fmtRatio, installApp, runCommand, WORK } from './lib.mjs'

const CONFIG = `import { defineConfig } from 'vitest/config'\nimport flakeseed from 'flakeseed'\nexport default defineConfig({ plugins: [flakeseed()], test: { fileParallelism: false } })\n`

/** A project of the row (with `module` as src/state.ts) in `dir`, sharing the app's node_modules. */
function project(app, dir, row, module) {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  symlinkSync(join(app, 'node_modules'), join(dir, 'node_modules'), 'dir')
  const files = { 'package.json': '{ "private": true, "type": "module" }\n', 'vitest.config.ts': CONFIG, 'src/state.ts': module, [FILE]: shop(row.pollute) }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', TOUCHED: join(dir, '..', `touched-${row.name.length}`) }
  delete env.FLAKESEED_DB
  const vitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs')
  const cli = join(dir, 'node_modules', 'flakeseed', 'dist', 'cli', 'index.js')
  let seed
  for (let s = 1; s <= 20 && seed === undefined; s++) {
    if (runCommand(process.execPath, [vitest, 'run'], { cwd: dir, env: { ...env, FLAKESEED_SEED: String(s) }, allowFail: true }).status === 1) seed = String(s)
  }
  if (seed === undefined) throw new Error(`${row.name}: no failing seed among 1–20`)
  /** A fresh failing run, then the timed bisect of it (it must name the polluter). */
  return () => {
    runCommand(process.execPath, [vitest, 'run'], { cwd: dir, env: { ...env, FLAKESEED_SEED: seed }, allowFail: true })
    const bisect = runCommand(process.execPath, [cli, 'bisect', 'last', '--repeat', '1', '--json'], { cwd: dir, env, allowFail: true })
    const finding = JSON.parse(bisect.stdout)
    if (!finding.polluters?.some((p) => p.endsWith('shop > fills the cart'))) throw new Error(`${row.name}: bisect did not name the polluter\n${bisect.stdout}`)
    return { ms: bisect.ms, cpuMs: bisect.cpuMs }
  }
}

export async function run({ runs, log = console.log } = {}) {
  const app = installApp(join(WORK, 'hostile-app'))
  const n = Math.max(3, Math.min(runs, 5))
  const rows = []
  const baseline = ROWS[0]
  for (const [k, row] of ROWS.slice(1).entries()) {
    const base = row.control ?? baseline.module
    const measured = await alternate(
      n,
      [
        { name: 'baseline', run: project(app, join(WORK, 'hostile', `${k}-base`), row.control ? row : baseline, base) },
        { name: row.name, run: project(app, join(WORK, 'hostile', String(k)), row, row.module) },
      ],
      { log },
    )
    const ratio = measured[row.name].median / measured.baseline.median
    log(`${row.name}: ${fmtMs(measured[row.name].median)} against ${fmtMs(measured.baseline.median)} (${fmtRatio(ratio)})`)
    rows.push({ name: `bisect with ${row.name} / ${row.control ? 'its control' : 'baseline'}`, value: ratio, target: 2 })
  }
  return rows
}
