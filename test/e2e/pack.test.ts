// The package as a user gets it: `npm pack`, installed from the tarball with npm into a fresh
// folder next to the example shop (better-sqlite3's install script runs as it does for a user), then the
// whole story through the installed bins: shuffled runs until the order-dependent test fails,
// `flakeseed runs`, `flakeseed bisect last`, and the printed reproduction command failing again.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { cleanEnv, REPO } from '../helpers/project.js'

let work: string
let app: string

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeout = 180_000) {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(env), encoding: 'utf8', timeout })
  return { code: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', output: `${result.stdout}\n${result.stderr}` }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'flakeseed-pack-'))
  const packed = sh('npm', ['pack', '--json', '--pack-destination', work], REPO)
  expect(packed.code, packed.output).toBe(0)
  const tarball = join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename)

  app = join(work, 'shop')
  cpSync(join(REPO, 'examples/shop'), app, { recursive: true, filter: (src) => !src.includes('node_modules') })
  const vitestVersion = (JSON.parse(readFileSync(join(REPO, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version
  // better-sqlite3's install script runs as for a user, but takes the binding this checkout
  // already compiled (prebuild-install's local prebuilds, as test/pm/setup.ts does) instead of
  // compiling it again for minutes; CI's own installs compile it from source.
  const prebuilds = join(work, 'prebuilds')
  mkdirSync(prebuilds)
  const sqlite = (JSON.parse(readFileSync(join(REPO, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version
  const name = `better-sqlite3-v${sqlite}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  expect(sh('tar', ['-czf', join(prebuilds, name), '-C', join(REPO, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'], REPO).code).toBe(0)
  // Offline: `npm test` asks no registry. The tarball's dependencies come from npm's cache, which
  // `npm ci` of this checkout filled with exactly these versions; installs from the registry
  // (npm, pnpm, Yarn) are the package-manager leg's (test/pm).
  const installed = sh(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--save-dev', tarball, `vitest@${vitestVersion}`, `better-sqlite3@${sqlite}`],
    app,
    { npm_config_better_sqlite3_local_prebuilds: prebuilds },
    900_000,
  )
  expect(installed.code, `${installed.output}\n(an ENOTCACHED error: run \`npm ci\` in this checkout first, it fills npm's cache)`).toBe(0)
}, 960_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

test('installed from the tarball: the package holds the build and the docs, not the sources', () => {
  const pkg = join(app, 'node_modules/flakeseed')
  expect(lstatSync(pkg).isSymbolicLink()).toBe(false)
  expect(existsSync(join(pkg, 'dist/src/index.js'))).toBe(true)
  expect(existsSync(join(pkg, 'dist/cli/index.js'))).toBe(true)
  // The README links to the docs pages: they ship with it.
  expect(existsSync(join(pkg, 'docs/bisect.md'))).toBe(true)
  expect(existsSync(join(pkg, 'src'))).toBe(false)
  expect(existsSync(join(pkg, 'test'))).toBe(false)
})

test('shuffled runs until the order-dependent test fails, then bisect names its polluter and the command reproduces it', () => {
  let failing: number | undefined
  let runs = 0
  for (let seed = 1; seed <= 40 && failing === undefined; seed++) {
    const run = sh('npx', ['vitest', 'run'], app, { FLAKESEED_SEED: String(seed) })
    runs++
    expect(run.output).toContain(`flakeseed seed ${seed} · run ${runs} ·`)
    expect(run.output).toMatch(new RegExp(`flakeseed run ${runs} · seed ${seed} · .*replay: npx flakeseed replay ${runs}`))
    if (run.code === 1) failing = seed
    else expect(run.code, run.output).toBe(0)
  }
  expect(failing, 'no seed in 1..40 put "adds a book" before "a new cart is empty"').toBeDefined()

  const listed = sh('npx', ['flakeseed', 'runs', '--json'], app)
  expect(listed.code, listed.output).toBe(0)
  const rows = JSON.parse(listed.stdout) as Array<{ seed: string; status: string; failed: number }>
  expect(rows).toHaveLength(runs)
  expect(rows.filter((r) => r.status === 'failed').map((r) => r.seed)).toEqual([String(failing)])

  const bisect = sh('npx', ['flakeseed', 'bisect', 'last', '--json'], app)
  expect(bisect.code, bisect.output).toBe(1)
  const finding = JSON.parse(bisect.stdout) as { victim: string; kind: string; polluters: string[]; command: string }
  expect(finding.victim).toBe('test/cart.test.ts > cart > a new cart is empty')
  expect(finding.kind).toBe('victim')
  expect(finding.polluters).toEqual(['test/cart.test.ts > cart > adds a book'])

  const reproduced = sh('sh', ['-c', finding.command], app)
  expect(reproduced.code, reproduced.output).toBe(1)
  expect(reproduced.output).toContain('a new cart is empty')
})
