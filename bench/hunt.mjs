// Hunt (issue 22): what `flakeseed hunt` costs against a plain run of the files a change touches,
// and how often it finds an order dependency the change injects, against plain shuffled runs.
//
// The app: a 50-test file `test/cart.test.ts` over an exported `cart` (one test needs the cart
// empty, five clear it, the rest compute), 9 more 50-test files that do not import the cart, in
// a git repository whose `main` is the base. Changes on a branch on top:
// - cost: 1 and 5 new tests that leave nothing behind. `flakeseed hunt --base main` against
//   `vitest run test/cart.test.ts` (the plain run of the affected file, spawned as CI runs it),
//   alternated, medians. Target: the default (the targeted orders, then seeded orders while the
//   hunt stays within 3× its own measured plain run) ≤ 3× with nothing found; the targeted orders
//   alone (`--seeds 0`) and 4 seeds regardless of cost (`--seeds 4`) are printed beside it.
// - detection: 3 changes, each adding one test that leaves an item in the cart. A shuffled run
//   fails only when the new test runs after every clearing test before `starts empty` (about 1
//   order in 7); the hunt's pair step runs it right before each older test. Plain shuffled runs:
//   8 seeds per change; the hunt: one run per change.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alternate, fmtMs, installApp, ROOT, runCommand, WORK, writeConfig } from './lib.mjs'

const VICTIM = 'test/cart.test.ts > cart > starts empty'
const SHUFFLED_SEEDS = 8
const INJECTIONS = 3

function cartFile(extra = []) {
  const lines = [`import { describe, expect, test } from 'vitest'`, `import { cart } from '../src/cart'`, `describe('cart', () => {`]
  for (let t = 1; t <= 50; t++) {
    if (t === 25) lines.push(`  test('starts empty', () => { expect(cart.items).toEqual([]) })`)
    else if (t % 10 === 0) lines.push(`  test('clears ${t}', () => { cart.items.length = 0; expect(cart.items).toEqual([]) })`)
    else
      lines.push(`  test('computes ${t}', () => { expect(Array.from({ length: ${t} }, (_, i) => i).reduce((a, b) => a + b, 0)).toBe(${(t * (t - 1)) / 2}) })`)
  }
  lines.push(...extra.map((line) => `  ${line}`), `})`, ``)
  return lines.join('\n')
}

function otherFile(f) {
  const lines = [`import { expect, test } from 'vitest'`]
  for (let t = 1; t <= 50; t++) lines.push(`test('f${f} ${t}', () => { expect(${t} + ${f}).toBe(${t + f}) })`)
  return `${lines.join('\n')}\n`
}

function git(dir, ...args) {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

/** The app on `main`, and a branch `change` holding `extra` tests in the cart file on top. */
function app(dir, extra) {
  installApp(dir)
  mkdirSync(join(dir, 'src'), { recursive: true })
  mkdirSync(join(dir, 'test'), { recursive: true })
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n.flakeseed\n')
  writeFileSync(join(dir, 'src/cart.ts'), `export const cart = { items: [] as string[] }\n`)
  writeFileSync(join(dir, 'test/cart.test.ts'), cartFile())
  for (let f = 1; f <= 9; f++) writeFileSync(join(dir, `test/other${f}.test.ts`), otherFile(f))
  writeConfig(dir, 'hunt', { imports: [`import flakeseed from 'flakeseed'`], body: `{ plugins: [flakeseed({ db: false })] }` })
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, '-c', 'user.email=b@example.com', '-c', 'user.name=bench', 'commit', '-qm', 'base')
  git(dir, 'checkout', '-qb', 'change')
  writeFileSync(join(dir, 'test/cart.test.ts'), cartFile(extra))
  git(dir, 'add', '-A')
  git(dir, '-c', 'user.email=b@example.com', '-c', 'user.name=bench', 'commit', '-qm', 'change')
  return dir
}

const cli = (dir) => join(dir, 'node_modules', 'flakeseed', 'dist', 'cli', 'index.js')
const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }

function hunt(dir, args = []) {
  const r = runCommand(process.execPath, [cli(dir), 'hunt', '--base', 'main', '--config', 'vitest.hunt.config.ts', '--json', ...args], {
    cwd: dir,
    env,
    allowFail: true,
  })
  if (r.status !== 0 && r.status !== 1) throw new Error(`hunt exited ${r.status}\n${r.stderr.slice(-2000)}`)
  return { ...r, json: JSON.parse(r.stdout) }
}

const plainRun = (dir) =>
  runCommand(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'vitest.hunt.config.ts', 'test/cart.test.ts'], { cwd: dir, env }).ms

async function cost(added, runs, log) {
  const extra = Array.from({ length: added }, (_, k) => `test('sums ${k + 1}', () => { expect(${k} + 1).toBe(${k + 1}) })`)
  const dir = app(join(WORK, `hunt-${added}`), extra)
  const check = hunt(dir, ['--seeds', '0'])
  if (check.json.findings.length || check.json.affected.files.length !== 1 || check.json.affected.tests.length !== added)
    throw new Error(`hunt: expected one affected file, ${added} new tests and nothing found, got ${JSON.stringify(check.json).slice(0, 500)}`)
  log(`\n${added} new test${added === 1 ? '' : 's'} in the 50-test file: ${check.json.runs} targeted runs, all passed`)
  const seeded = []
  const m = await alternate(
    runs,
    [
      { name: 'plain run of the affected file', run: () => plainRun(dir) },
      { name: 'hunt, targeted orders (--seeds 0)', run: () => hunt(dir, ['--seeds', '0']).ms },
      {
        name: 'hunt, default (seeds within 3×)',
        run: () => {
          const h = hunt(dir)
          seeded.push(h.json.runs - check.json.runs)
          return h.ms
        },
      },
      { name: 'hunt --seeds 4', run: () => hunt(dir, ['--seeds', '4']).ms },
    ],
    { log },
  )
  const plain = m['plain run of the affected file'].median
  const targeted = m['hunt, targeted orders (--seeds 0)'].median
  const byDefault = m['hunt, default (seeds within 3×)'].median
  const four = m['hunt --seeds 4'].median
  const ratio = (ms) => `${(ms / plain).toFixed(2)}×`
  log(
    `  plain ${fmtMs(plain)} · hunt (default, ${seeded.join('/')} seeded orders) ${fmtMs(byDefault)} (${ratio(byDefault)}, target ≤ 3×) · --seeds 0 ${fmtMs(targeted)} (${ratio(targeted)}) · --seeds 4 ${fmtMs(four)} (${ratio(four)})`,
  )
  const tests = `${added} new test${added === 1 ? '' : 's'}`
  return [
    { name: `hunt (default) / plain run, ${tests}`, value: byDefault / plain, target: 3 },
    { name: `hunt --seeds 0 / plain run, ${tests}`, value: targeted / plain, target: Number.NaN },
    { name: `hunt --seeds 4 / plain run, ${tests}`, value: four / plain, target: Number.NaN },
  ]
}

async function detection(log) {
  let shuffledFailures = 0
  let found = 0
  for (let i = 1; i <= INJECTIONS; i++) {
    const dir = app(join(WORK, `hunt-inject-${i}`), [
      `test('adds book ${i}', () => { cart.items.push('book ${i}'); expect(cart.items).toContain('book ${i}') })`,
    ])
    let failed = 0
    for (let s = 1; s <= SHUFFLED_SEEDS; s++) {
      const r = runCommand(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'vitest.hunt.config.ts'], {
        cwd: dir,
        env: { ...env, FLAKESEED_SEED: `${i}-${s}` },
        allowFail: true,
      })
      if (r.status === 1) failed++
    }
    const h = hunt(dir)
    const hit = h.json.findings.some((f) => f.victim === VICTIM && f.introduced && f.polluters.includes(`test/cart.test.ts > cart > adds book ${i}`))
    if (hit) found++
    shuffledFailures += failed
    log(
      `  injection ${i}: shuffled runs failed ${failed} of ${SHUFFLED_SEEDS} · hunt ${hit ? 'found it' : 'missed it'} (${h.json.runs} runs + ${h.json.probes} bisect probes, ${fmtMs(h.ms)})`,
    )
  }
  const perRun = shuffledFailures / (INJECTIONS * SHUFFLED_SEEDS)
  log(
    `detection: hunt ${found} of ${INJECTIONS}; one plain shuffled run ${(perRun * 100).toFixed(0)} % (${shuffledFailures} of ${INJECTIONS * SHUFFLED_SEEDS})`,
  )
  return [
    { name: 'detection: hunt (share of injected dependencies found)', value: found / INJECTIONS, target: 1, unit: 'share', pass: found === INJECTIONS },
    { name: 'detection: one plain shuffled run', value: perRun, target: Number.NaN, unit: 'share' },
  ]
}

export async function run({ runs = 3, log = console.log } = {}) {
  void ROOT
  const n = Math.min(runs, 3)
  return [...(await cost(1, n, log)), ...(await cost(5, n, log)), ...(await detection(log))]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run()
    .then((rows) => {
      for (const r of rows)
        console.log(`${r.name}: ${r.value.toFixed(2)}${Number.isNaN(r.target) ? '' : ` (target ${r.unit === 'share' ? '' : '≤ '}${r.target})`}`)
    })
    .catch((error) => {
      console.error(error)
      process.exit(1)
    })
}
