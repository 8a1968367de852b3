// The README's example command: the bundled example shop (examples/shop), run the way CI runs it,
// shuffled and recorded, then the flakeseed commands a developer uses on what CI recorded.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { linkModules, REPO } from './sandbox.mjs'

const dir = mkdtempSync(join(tmpdir(), 'flakeseed-example-'))
cpSync(join(REPO, 'examples/shop'), dir, { recursive: true })
linkModules(dir)
cpSync(join(REPO, 'examples/shop/package.json'), join(dir, 'package.json'))

const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' }
delete env.FLAKESEED_SEED
delete env.FLAKESEED_DB

function step(title) {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`)
}

function sh(display, command, args, extraEnv = {}) {
  console.log(`$ ${display}`)
  const result = spawnSync(command, args, { cwd: dir, env: { ...env, ...extraEnv }, encoding: 'utf8' })
  return { code: result.status, out: `${result.stdout}${result.stderr}` }
}

const bin = (name) => join(dir, 'node_modules/.bin', name)

/** `vitest run` with a seed; prints only flakeseed's lines and the summary. */
function vitest(seed) {
  const { code, out } = sh(`FLAKESEED_SEED=${seed} npx vitest run`, bin('vitest'), ['run', '--reporter=dot'], { FLAKESEED_SEED: String(seed) })
  for (const line of out.split('\n')) {
    if (/^flakeseed|Tests |FAIL .*>|AssertionError/.test(line.trim())) console.log(`  ${line.trim()}`)
  }
  return code
}

function flakeseed(args, { show = true } = {}) {
  const { code, out } = sh(`npx flakeseed ${args.join(' ')}`, bin('flakeseed'), args)
  if (show) console.log(out.replace(/\n+$/, '').replace(/^/gm, '  '))
  return { code, out }
}

function lastRun() {
  const { stdout } = spawnSync(bin('flakeseed'), ['show', 'last', '--json'], { cwd: dir, env, encoding: 'utf8' })
  return JSON.parse(stdout).run.id
}

function order() {
  const { stdout } = spawnSync(bin('flakeseed'), ['show', 'last', '--json'], { cwd: dir, env, encoding: 'utf8' })
  const shown = JSON.parse(stdout)
  return shown.files.map((f) => `${f.file.replace(/^test\//, '').replace(/\.test\.ts$/, '')}[${f.tests.map((t) => t.name.split(' > ').pop()).join(' | ')}]`)
}

console.log(`example project: ${dir} (a copy of examples/shop)`)

step('1. The same seed gives the same order; another seed, another order')
vitest(1183)
const first = order()
vitest(1183)
const again = order()
vitest(57)
const other = order()
console.log(`  seed 1183:       ${first.join('  ')}`)
console.log(`  seed 1183 again: ${again.join('  ')}`)
console.log(`  seed 57:         ${other.join('  ')}`)
const same = JSON.stringify(first) === JSON.stringify(again)
const differs = JSON.stringify(first) !== JSON.stringify(other)
console.log(`  same seed, same order: ${same ? 'yes' : 'NO'} · different seed, different order: ${differs ? 'yes' : 'NO'}`)

step('2. Shuffled runs, as CI runs them on every commit, until an order fails')
let failedSeed
let failedRun
for (let seed = 1; seed <= 40 && failedSeed === undefined; seed++) {
  if (vitest(seed) !== 0) {
    failedSeed = seed
    failedRun = lastRun()
  }
}
if (failedSeed === undefined) console.log('  no order failed in 40 seeds')

step('3. What was recorded')
flakeseed(['runs', '--limit', '8'])

let reproduced = true
let patched = true
if (failedSeed !== undefined) {
  step(`4. Bisect the failing run (seed ${failedSeed}) down to its cause`)
  const { out } = flakeseed(['bisect', 'last'])
  const command = out.match(/^reproduce: (.*)$/m)?.[1] ?? 'false'
  step('5. The reproduction command bisect printed fails again')
  const replay = sh(command, 'sh', ['-c', command], { PATH: `${join(dir, 'node_modules/.bin')}:${process.env.PATH}` })
  for (const line of replay.out.split('\n')) {
    if (/^flakeseed|Tests |FAIL .*>|AssertionError/.test(line.trim())) console.log(`  ${line.trim()}`)
  }
  reproduced = replay.code === 1
  console.log(`  exit code ${replay.code}: ${reproduced ? 'the failure reproduces from two tests' : 'NOT reproduced'}`)
  step(`6. A patch for it, verified on the failing order and more seeds (nothing is written without --apply)`)
  const fix = flakeseed(['fix', String(failedRun)])
  patched = fix.code === 0 && /^verified: /m.test(fix.out)
}

step('7. Flaky tests across everything recorded, and the HTML report')
flakeseed(['flaky'])
const report = flakeseed(['report', '--html', join(dir, 'flakeseed-report.html')])

if (!(same && differs && reproduced && patched && failedSeed !== undefined && report.code === 0)) process.exitCode = 1
