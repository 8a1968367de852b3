// Overhead of the flakeseed plugin against Vitest's own `sequence.shuffle`, which is the baseline:
// both shuffle files and tests from seed 1, in the same app folder, alternated run by run.
// Targets (issue 24): ≤ 1.03 on 2,000 tests and on 240, for wall time and for CPU time (Vitest
// and all its workers) alike.
import { join } from 'node:path'
import { alternate, benchRuns, fmtMs, fmtRatio, generateSuite, installApp, median, stripAnsi, table, timeCommand, WORK, writeConfig } from './lib.mjs'

export const SUITES = [
  { name: 'large', files: 40, testsPerFile: 50, describes: 5, target: 1.03 },
  { name: 'small', files: 4, testsPerFile: 60, describes: 6, target: 1.03 },
]

export const CONFIGS = {
  flakeseed: {
    imports: [`import flakeseed from 'flakeseed'`],
    body: `{ plugins: [flakeseed({ seed: 1 })] }`,
  },
  shuffle: {
    body: `{ test: { sequence: { shuffle: true, seed: 1 } } }`,
  },
}

/** Builds the app folder of one suite with both configs; returns `{ dir, configs }`. */
export function prepareSuite(suite, extraConfigs = {}) {
  const dir = join(WORK, `shuffle-${suite.name}`)
  installApp(dir)
  generateSuite(dir, suite)
  const configs = {}
  for (const [name, spec] of Object.entries({ ...CONFIGS, ...extraConfigs })) configs[name] = writeConfig(dir, name, spec)
  return { dir, configs }
}

/** The environment every measured Vitest run gets (same for all variants). */
export function benchEnv() {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }
  delete env.FLAKESEED_SEED // the configs fix seed 1; an inherited seed would change the order
  // Recording (once it exists) writes here, not into the app or the user's history.
  env.FLAKESEED_DB ||= join(WORK, 'history.db')
  return env
}

const SEED_LINE = /^flakeseed seed \S+/m

/**
 * Times one `vitest run --config <file>` (ms, or `{ ms, cpuMs }` with `cpu: true`) and fails
 * loudly when it measured nothing.
 */
export function vitestRun(dir, config, { env = benchEnv(), expectSeedLine = false, nodeArgs = [], cpu = false } = {}) {
  return timeCommand(process.execPath, [...nodeArgs, 'node_modules/vitest/vitest.mjs', 'run', '--config', config], {
    cwd: dir,
    env,
    cpu,
    check({ stdout, stderr }) {
      const out = stripAnsi(`${stdout}\n${stderr}`)
      if (expectSeedLine && !SEED_LINE.test(out)) {
        throw new Error(`${config}: no line starting "flakeseed seed" in Vitest's output: the plugin did not run\n${out.slice(-3000)}`)
      }
      if (!expectSeedLine && /^flakeseed seed /m.test(out)) throw new Error(`${config}: flakeseed ran in the baseline config`)
      if (!/Tests\s+\d+ passed/.test(out)) throw new Error(`${config}: Vitest printed no passed-test summary\n${out.slice(-3000)}`)
    },
  })
}

export async function run({ runs = benchRuns(), log = console.log } = {}) {
  const rows = []
  for (const suite of SUITES) {
    const total = suite.files * suite.testsPerFile
    log(`\nsuite ${suite.name}: ${suite.files} files × ${suite.testsPerFile} tests = ${total} tests, ${runs} runs each (alternated, after 1 warm-up)`)
    const { dir, configs } = prepareSuite(suite)
    const result = await alternate(
      runs,
      [
        { name: 'vitest-shuffle', run: () => vitestRun(dir, configs.shuffle, { cpu: true }) },
        { name: 'flakeseed', run: () => vitestRun(dir, configs.flakeseed, { expectSeedLine: true, cpu: true }) },
      ],
      { log: process.env.BENCH_VERBOSE ? log : () => {} },
    )
    const base = result['vitest-shuffle']
    const ours = result.flakeseed
    const ratio = ours.median / base.median
    const pass = ratio <= suite.target
    const cpu = (r) => (r.cpuMedian === undefined ? '-' : fmtMs(r.cpuMedian))
    log(
      table([
        ['variant', 'median', 'min', 'max', 'cpu median'],
        ['vitest-shuffle', fmtMs(base.median), fmtMs(base.min), fmtMs(base.max), cpu(base)],
        ['flakeseed', fmtMs(ours.median), fmtMs(ours.min), fmtMs(ours.max), cpu(ours)],
      ]),
    )
    log(`ratio flakeseed/vitest-shuffle (${suite.name}): ${fmtRatio(ratio)}  target ≤ ${suite.target.toFixed(2)}  ${pass ? 'PASS' : 'OVER'}`)
    // Context for judging noise: the same ratio computed from the fastest runs, and the median of
    // each back-to-back pair's own ratio (a pair shares the machine's load of its minute).
    log(`  (ratio of minimums: ${fmtRatio(ours.min / base.min)}; judge a difference of a few % with BENCH_RUNS=15 or more)`)
    log(
      `  (median of the pairs' ratios: wall ${fmtRatio(pairRatio(ours.samples, base.samples))}${ours.cpuSamples && base.cpuSamples ? `, CPU ${fmtRatio(pairRatio(ours.cpuSamples, base.cpuSamples))}` : ''})`,
    )
    // CPU of the whole process tree barely moves with other jobs on the machine, while wall
    // time does: when the wall ratio swings, this says what the plugin itself costs.
    if (ours.cpuMedian !== undefined && base.cpuMedian) {
      const cpuRatio = ours.cpuMedian / base.cpuMedian
      log(
        `ratio of CPU time, Vitest and its workers (${suite.name}): ${fmtRatio(cpuRatio)}  target ≤ ${suite.target.toFixed(2)}  ${cpuRatio <= suite.target ? 'PASS' : 'OVER'}`,
      )
    }
    rows.push({
      name: `shuffle ${suite.name} (${total} tests)`,
      value: ratio,
      target: suite.target,
      unit: 'ratio',
      pass,
      detail: `${fmtMs(ours.median)} vs ${fmtMs(base.median)}`,
    })
    if (ours.cpuMedian !== undefined && base.cpuMedian) {
      const cpuRatio = ours.cpuMedian / base.cpuMedian
      rows.push({
        name: `shuffle ${suite.name} CPU (${total} tests)`,
        value: cpuRatio,
        target: suite.target,
        unit: 'ratio',
        detail: `${fmtMs(ours.cpuMedian)} vs ${fmtMs(base.cpuMedian)} (Vitest and its workers)`,
      })
    }
  }
  return rows
}

/** The median of `ours[i] / base[i]`: the runs of one index ran back to back. */
function pairRatio(ours, base) {
  return median(ours.map((x, i) => x / base[i]))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
