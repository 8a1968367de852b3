// Bisect (issue 4): how many probes and how much time `flakeseed bisect` needs to find one hidden
// polluter among many earlier tests, against what a one-by-one search would need.
//
// The suite: 40 files × 50 generated tests (bench/lib.mjs), plus, in one file, a describe
// `prices` whose test `warms the shared price cache` leaves a global behind (with two innocent
// siblings), and in another file a test that expects that global to be absent. With
// `isolate: false` and one worker, globals cross files, so every test of every file that ran
// before the victim's file is a candidate: about a thousand or more.
//
// Steps: pick a seed from the ordering rule (src/core/order.ts) that puts the victim's file late and
// the polluter's file before it, record that run with the plugin (it must fail with exactly the
// victim), run `flakeseed bisect last --json --repeat 1` and check it names exactly the polluter.
// `--repeat 1` because the victim is deterministic: the default `--repeat 3` runs the "alone"
// check twice more and checks that the result holds up (3 runs with the polluter, 3 alone), 8
// probes that guard against flaky victims and say nothing about the search.
//
// Target: probes to find the polluter ≤ ⌈log₂ n⌉ + 3 for n candidates (docs/ARCHITECTURE.md, Bisect):
// confirm, alone, the search. Once it is found, bisect spends one more probe asking whether a
// sibling in its describe pollutes too (then the describe's hooks are named); that question comes
// after the answer, so it is printed beside the count, not in it. The one-by-one
// comparison runs each candidate alone before the victim, in recorded order, until the victim
// fails: that takes the polluter's 1-based position among the candidates (and n in the worst case).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fmtMs, generateSuite, installApp, ROOT, runCommand, stripAnsi, WORK, writeConfig } from './lib.mjs'

const SUITE = { files: 40, testsPerFile: 50, describes: 5 }
const POLLUTER_FILE = 'test/f007.test.ts'
const VICTIM_FILE = 'test/f031.test.ts'
const POLLUTER = `${POLLUTER_FILE} > prices > warms the shared price cache`
const VICTIM = `${VICTIM_FILE} > checkout > starts with an empty price cache`

export async function run({ log = console.log } = {}) {
  const { sortByKey } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'order.js')).href)
  const { fileId, testId } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'core', 'names.js')).href)
  const dir = join(WORK, 'bisect')
  installApp(dir)
  generateSuite(dir, SUITE)
  addPolluterAndVictim(dir)
  const config = writeConfig(dir, 'bisect', {
    imports: [`import flakeseed from 'flakeseed'`],
    body: `{ plugins: [flakeseed()], test: { isolate: false, fileParallelism: false } }`,
  })
  const db = join(dir, 'history.db')
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', FLAKESEED_DB: db }
  const files = Array.from({ length: SUITE.files }, (_, i) => `test/f${String(i + 1).padStart(3, '0')}.test.ts`)

  // A seed whose file order runs the victim's file late (many candidates) and the polluter's
  // file before it, with the polluter neither first nor last among them.
  let seed
  for (let s = 1; s < 100_000 && seed === undefined; s++) {
    const order = sortByKey(files, String(s), (f) => fileId('', f))
    const v = order.indexOf(VICTIM_FILE)
    const p = order.indexOf(POLLUTER_FILE)
    if (v >= 30 && p >= 5 && p < v - 5) seed = String(s)
  }
  if (seed === undefined) throw new Error('bisect: no seed puts the polluter before the victim')

  log(`\nsuite: ${SUITE.files} files × ${SUITE.testsPerFile} tests + 3 (a describe holding the polluter) + 1 victim, isolate: false, one worker`)
  const recorded = runCommand(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', config], {
    cwd: dir,
    env: { ...env, FLAKESEED_SEED: seed },
    allowFail: true,
  })
  const out = stripAnsi(recorded.stdout + recorded.stderr)
  if (recorded.status !== 1 || !/Tests\s+1 failed \| \d+ passed/.test(out)) {
    throw new Error(`bisect: the recorded run under seed ${seed} should fail with exactly the victim (exit ${recorded.status})\n${out.slice(-3000)}`)
  }
  log(`recorded a failing run under seed ${seed} in ${fmtMs(recorded.ms)}`)

  // The candidates as the bisector sees them: every test that ran before the victim in its worker.
  const shown = JSON.parse(runCommand(process.execPath, [cli(dir), 'show', 'last', '--json', '--db', db], { cwd: dir, env }).stdout)
  const executed = shown.files.flatMap((f) => f.tests.map((t) => ({ id: testId(f.project, f.file, t.name), state: t.state })))
  const failed = executed.filter((t) => t.state === 'failed').map((t) => t.id)
  if (failed.length !== 1 || failed[0] !== VICTIM) throw new Error(`bisect: expected only the victim to fail, got ${JSON.stringify(failed)}`)
  const candidates = executed
    .slice(
      0,
      executed.findIndex((t) => t.id === VICTIM),
    )
    .filter((t) => t.state === 'passed' || t.state === 'failed')
  const n = candidates.length
  const position = candidates.findIndex((t) => t.id === POLLUTER) + 1
  if (position < 1) throw new Error('bisect: the polluter did not run before the victim')
  const target = Math.ceil(Math.log2(n)) + 3

  const { result: bisect, finding } = bisectLast(dir, env, db, ['--repeat', '1', '--jobs', '1'])
  const log2 = Math.ceil(Math.log2(n))
  log(`flakeseed bisect named exactly the polluter: ${POLLUTER}`)
  log(`  candidates n = ${n} (tests before the victim in its worker), polluter at position ${position}`)
  const toFind = finding.probesToFind ?? finding.probes
  log(`  probes to find it ${toFind} (confirm, victim alone, search) · target ⌈log₂ ${n}⌉ + 3 = ${log2} + 3 = ${target}`)
  const diagnosis = finding.diagnosisProbes ?? 0
  log(
    `  probes in all ${finding.probes} (+${finding.probes - toFind - diagnosis} after: does a sibling in its describe pollute too? +${diagnosis}: the diagnosis)`,
  )
  const cause = finding.leaks?.find((l) => l.verified)
  log(
    `  leaked ${cause ? `${cause.kind} ${cause.what}: ${cause.before} → ${cause.after} (verified)` : 'nothing verified'} · fix: ${finding.fix?.suggestion ?? '-'}`,
  )
  log(`  wall time ${fmtMs(bisect.ms)} (the whole command; ${(bisect.ms / finding.probes / 1000).toFixed(2)} s per probe)`)
  log(`  one-by-one (each candidate alone before the victim, in recorded order): ${position} probes to reach the polluter, ${n} in the worst case`)
  log(`  reproduce: ${finding.command}`)
  // What the diagnosis costs: the same bisect without it, in this run.
  const bare = bisectLast(dir, env, db, ['--repeat', '1', '--jobs', '1', '--no-diagnose'])
  const diagnosisMs = bisect.ms - bare.result.ms
  log(
    `  without the diagnosis (--no-diagnose): ${bare.finding.probes} probes, ${fmtMs(bare.result.ms)}: the diagnosis adds ${finding.probes - bare.finding.probes} probes, ${fmtMs(diagnosisMs)}`,
  )
  // What the plain command costs: the default --repeat 3 repeats the alone check and checks the
  // result. One job against two (`--jobs`), alternated, the faster of two runs each.
  const timings = { 1: [], 2: [] }
  let plain
  for (const round of [0, 1]) {
    for (const jobs of round ? [2, 1] : [1, 2]) {
      const r = bisectLast(dir, env, db, ['--jobs', String(jobs), '--no-diagnose'])
      timings[jobs].push(r.result.ms)
      if (jobs === 1) plain = r
    }
  }
  const one = Math.min(...timings[1])
  const two = Math.min(...timings[2])
  log(`flakeseed bisect last --json (default --repeat 3, --no-diagnose): ${plain.finding.probes} probes, same polluter`)
  log(`  --jobs 1: ${timings[1].map(fmtMs).join(', ')} · --jobs 2: ${timings[2].map(fmtMs).join(', ')} · speed-up ${(one / two).toFixed(2)}× (target ≥ 1.5)`)
  // With a history: 9 more shuffled runs (10 in all), whose orders give bisect its suspects.
  for (let s = 1, recordedRuns = 1; recordedRuns < 10; s++) {
    if (String(s) === seed) continue
    runCommand(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', config], {
      cwd: dir,
      env: { ...env, FLAKESEED_SEED: String(s) },
      allowFail: true,
    })
    recordedRuns++
  }
  const historyRuns = JSON.parse(runCommand(process.execPath, [cli(dir), 'runs', '--json', '--db', db], { cwd: dir, env }).stdout).filter(
    (r) => r.kind === 'run',
  )
  const suspects = JSON.parse(
    runCommand(process.execPath, [cli(dir), 'suspects', VICTIM, '--json', '--db', db], { cwd: dir, env, allowFail: true }).stdout || '{}',
  )
  const tied = (suspects.suspects ?? []).filter((s) => s.score === suspects.suspects?.[0]?.score).length
  const rank = (suspects.suspects ?? []).findIndex((s) => s.test === POLLUTER) + 1
  const withHistory = bisectLast(dir, env, db, ['--run-ref', String(firstFailingRun(dir, env, db)), '--jobs', '1', '--no-diagnose'])
  const historyProbes = withHistory.finding.probesToFind ?? withHistory.finding.probes
  log(
    `with ${historyRuns.length} recorded runs (${historyRuns.filter((r) => r.failed).length} failing): the polluter ranks ${rank || '-'} among the suspects (${tied} tied at the top score); bisect at the default --repeat 3 took ${historyProbes} probes to find it (${fmtMs(withHistory.result.ms)})`,
  )
  return [
    {
      name: 'bisect probes with 10 recorded runs (suspects first, --repeat 3)',
      value: historyProbes,
      target: 6,
      unit: 'probes',
      detail: `polluter ranked ${rank || '-'}, ${tied} tied at the top; without history: ${plain.finding.probes}`,
    },
    {
      name: `bisect probes to find 1 polluter among ${n}`,
      value: toFind,
      target,
      unit: 'probes',
      detail: `⌈log₂ n⌉+3; ${finding.probes} with the describe check; one-by-one: ${position} (polluter's position), ${n} worst`,
    },
    { name: 'bisect wall time', value: bisect.ms, target: NaN, unit: 'ms', detail: `${finding.probes} probes, seed ${seed}, record ${fmtMs(recorded.ms)}` },
    {
      name: 'diagnosis probes beyond the search',
      value: finding.probes - bare.finding.probes,
      target: 3,
      unit: 'probes',
      detail: `${cause ? `${cause.kind} ${cause.what} verified` : 'no leak verified'}; +${fmtMs(diagnosisMs)} against --no-diagnose`,
    },
    {
      name: 'bisect probes, default --repeat 3',
      value: plain.finding.probes,
      target: NaN,
      unit: 'probes',
      detail: `${fmtMs(one)} with --jobs 1; repeats guard against flaky victims`,
    },
    {
      name: 'bisect speed-up, --jobs 2 over --jobs 1',
      value: one / two,
      target: 1.5,
      unit: 'ratio',
      pass: one / two >= 1.5,
      detail: `default --repeat 3; ${fmtMs(two)} against ${fmtMs(one)}, faster of 2 runs each, alternated`,
    },
  ]
}

/** The first recorded run (the failing one the bench bisects). */
function firstFailingRun(dir, env, db) {
  const runs = JSON.parse(runCommand(process.execPath, [cli(dir), 'runs', '--json', '--limit', '100', '--db', db], { cwd: dir, env }).stdout)
  return Math.min(...runs.filter((r) => r.kind === 'run').map((r) => r.id))
}

/** `flakeseed bisect last --json` (+ `extra`; `--run-ref N` bisects run N instead); it must name exactly the polluter. */
function bisectLast(dir, env, db, extra) {
  const at = extra.indexOf('--run-ref')
  const ref = at >= 0 ? extra[at + 1] : 'last'
  if (at >= 0) extra = [...extra.slice(0, at), ...extra.slice(at + 2), '--test', VICTIM]
  const result = runCommand(process.execPath, [cli(dir), 'bisect', ref, '--json', ...extra, '--db', db], { cwd: dir, env, allowFail: true })
  let finding
  try {
    finding = JSON.parse(result.stdout)
  } catch {
    throw new Error(
      `bisect: no JSON from flakeseed bisect ${extra.join(' ')} (exit ${result.status})\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`,
    )
  }
  if (result.status !== 1 || finding.kind !== 'victim' || finding.victim !== VICTIM || JSON.stringify(finding.polluters) !== JSON.stringify([POLLUTER])) {
    throw new Error(`bisect: expected ${VICTIM} polluted by exactly ${POLLUTER}, got (exit ${result.status}) ${JSON.stringify(finding)}`)
  }
  return { result, finding }
}

function cli(dir) {
  return join(dir, 'node_modules', 'flakeseed', 'dist', 'cli', 'index.js')
}

/** The polluter joins a describe with two innocent siblings; the victim gets a describe of its own. */
function addPolluterAndVictim(dir) {
  const append = (file, lines) => writeFileSync(join(dir, file), `${readFileSync(join(dir, file), 'utf8') + lines.join('\n')}\n`)
  append(POLLUTER_FILE, [
    `describe('prices', () => {`,
    `  it('formats a price', () => { expect((1.5).toFixed(2)).toBe('1.50') })`,
    `  it('warms the shared price cache', () => { (globalThis as any).__priceCache = new Map([['eur', 1.1]]) })`,
    `  it('rounds half up', () => { expect(Math.round(2.5)).toBe(3) })`,
    `})`,
  ])
  append(VICTIM_FILE, [
    `describe('checkout', () => {`,
    `  it('starts with an empty price cache', () => { expect((globalThis as any).__priceCache).toBeUndefined() })`,
    `})`,
  ])
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
