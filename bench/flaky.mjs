// `flakeseed flaky` on a big history (issue 5): 1,000 runs × 2,000 tests (bench/fixtures.mjs),
// where about 1,200 tests failed at least once in the newest 100 runs, so the command reads and
// classifies over 100,000 outcomes.
//
// - CLI: `flakeseed flaky --db …` as a user runs it (default window: the newest 100 runs),
//   alternated with the baseline, a `node` process that opens the same DB with better-sqlite3
//   and runs a plain `SELECT count(*)` over the same rows (the results of those 100 runs). The
//   ratio is what the analysis costs over reading the rows at all; `flakeseed --version` is
//   printed too (the CLI's start-up floor). Target: flaky ≤ 500 ms.
// - In process: `flakyWindow` + `analysePacked` (as the CLI walks the window) against the same `SELECT count(*)`, for the default
//   window and for the whole history (`--window 1000`, 2 M results), for context.
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { bigHistory, loadStore } from './fixtures.mjs'
import { alternate, benchRuns, fmtMs, median, ROOT, runCommand, stripAnsi, table } from './lib.mjs'

const CLI = join(ROOT, 'dist', 'cli', 'index.js')
const TARGET_MS = 500
const WINDOW = 100
/** Issue 24: `flaky` on the newest 100 runs within twice the CLI's start-up (`--version`). */
const TARGET_STARTUP_RATIO = 2
/** Issue 24: `flaky --window 1000` (the whole 2 M-result history) within 1 s and 250 MB. */
const TARGET_WHOLE_MS = 1000
const TARGET_WHOLE_MB = 250
/** Prints the process's peak resident memory (KB) on stderr as it exits: the child's own, measured by itself. */
const MAX_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss '+process.resourceUsage().maxRSS+'\\n'))`

/** A run's wall and CPU time, as `alternate` takes them. */
const timed = (result) => ({ ms: result.ms, cpuMs: result.cpuMs })
/** The load average over 1, 5 and 15 minutes: the machine is shared. */
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')

export async function run({ runs = benchRuns(), log = console.log } = {}) {
  const verbose = process.env.BENCH_VERBOSE ? log : () => {}
  const { Store } = await loadStore()
  const history = await bigHistory({ log })
  const db = history.path

  // The baseline: the same rows, counted, from a fresh process like the CLI's.
  const sqlite = pathToFileURL(join(ROOT, 'node_modules', 'better-sqlite3', 'lib', 'index.js')).href
  const countScript = [
    `const { default: Database } = await import(${JSON.stringify(sqlite)})`,
    `const db = new Database(${JSON.stringify(db)}, { readonly: true })`,
    `const ids = db.prepare("SELECT id FROM runs WHERE kind = 'run' ORDER BY id DESC LIMIT ${WINDOW}").pluck().all()`,
    `const n = db.prepare('SELECT count(*) FROM results WHERE run_id IN (' + ids.join(',') + ')').pluck().get()`,
    `if (n !== ${WINDOW * history.tests}) throw new Error('count: ' + n)`,
    `console.log(n)`,
  ].join('\n')
  const env = { ...process.env, NO_COLOR: '1' }
  let tests = 0
  log(`flaky on the ${history.runs} × ${history.tests} DB, default window (${WINDOW} runs; ${runs} runs each, alternated)`)
  const lat = await alternate(
    runs,
    [
      { name: 'SELECT count(*) (baseline)', run: () => timed(runCommand(process.execPath, ['--input-type=module', '-e', countScript], { env })) },
      { name: 'flakeseed --version', run: () => timed(runCommand(process.execPath, [CLI, '--version'], { env })) },
      {
        name: 'flakeseed flaky',
        run: () => {
          const result = runCommand(process.execPath, [CLI, 'flaky', '--db', db], { env })
          const head = /^(\d+) flaky tests? in the last (\d+) runs/.exec(stripAnsi(result.stdout))
          if (!head || Number(head[2]) !== WINDOW || Number(head[1]) < 100) throw new Error(`flaky: unexpected output:\n${result.stdout.slice(0, 500)}`)
          tests = Number(head[1])
          return timed(result)
        },
      },
    ],
    { log: verbose },
  )
  log(
    table([
      ['command', 'median', 'min', 'max', 'CPU median'],
      ...Object.entries(lat).map(([name, s]) => [name, fmtMs(s.median), fmtMs(s.min), fmtMs(s.max), s.cpuMedian === undefined ? '-' : fmtMs(s.cpuMedian)]),
    ]),
  )
  const flaky = lat['flakeseed flaky'].median
  const count = lat['SELECT count(*) (baseline)'].median
  const startup = lat['flakeseed --version'].median
  const cpuRatio = lat['flakeseed flaky'].cpuMedian / lat['flakeseed --version'].cpuMedian
  log(
    `  ${tests} flaky tests listed · ratio to SELECT count(*) ${(flaky / count).toFixed(2)} · over --version +${fmtMs(flaky - startup)} · CPU ratio to --version ${cpuRatio.toFixed(2)} · load ${load()}`,
  )

  // The whole history, as a user runs it: wall time and the process's own peak memory.
  const whole = []
  for (let i = 0; i < Math.max(2, Math.min(runs, 3)); i++) {
    const result = runCommand(process.execPath, ['--import', MAX_RSS, CLI, 'flaky', '--window', String(history.runs), '--db', db], { env })
    const kb = /maxrss (\d+)/.exec(result.stderr ?? '')
    if (!kb || !/^\d+ flaky tests? in the last/.test(stripAnsi(result.stdout)))
      throw new Error(`flaky --window: unexpected output:\n${result.stdout.slice(0, 300)}`)
    whole.push({ ms: result.ms, cpuMs: result.cpuMs, mb: Number(kb[1]) / 1024 })
    verbose(`  flaky --window ${history.runs}: ${fmtMs(result.ms)}, ${(Number(kb[1]) / 1024).toFixed(0)} MB`)
  }
  const wholeMs = median(whole.map((w) => w.ms))
  const wholeMb = Math.max(...whole.map((w) => w.mb))
  const wholeCpu = median(whole.map((w) => w.cpuMs ?? Number.NaN))
  log(
    `  flakeseed flaky --window ${history.runs}: median ${fmtMs(wholeMs)} (CPU ${fmtMs(wholeCpu)}), peak memory ${wholeMb.toFixed(0)} MB (${whole.length} runs) · load ${load()}`,
  )

  // In process, without start-up: the query and the analysis against a count of the same rows.
  const { flakyWindow } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'store', 'flaky.js')).href)
  const { executionKeys } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'analysis', 'flakiness.js')).href)
  const { analysePacked } = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'analysis', 'packed.js')).href)
  const store = Store.open(db, { readonly: true })
  const inProcess = {}
  try {
    for (const window of [WINDOW, history.runs]) {
      const flakyTimes = []
      const countTimes = []
      let outcomes = 0
      for (let i = 0; i < Math.max(3, Math.min(runs, 5)); i++) {
        let t = performance.now()
        const w = flakyWindow(store, { window, orderKeys: executionKeys, errors: 'last' })
        const packed = w.packedHistories()
        // As the CLI walks them: packed, one at a time (counted on the way).
        let n = 0
        const counted = (function* () {
          for (const h of packed.histories) {
            n += h.length
            yield h
          }
        })()
        analysePacked(counted, packed.runs)
        flakyTimes.push(performance.now() - t)
        outcomes = n
        t = performance.now()
        const ids = w.runs.flatMap((r) => r.runs)
        store.db
          .prepare(`SELECT count(*) FROM results WHERE run_id IN (${ids.join(',')})`)
          .pluck()
          .get()
        countTimes.push(performance.now() - t)
      }
      inProcess[window] = { flaky: median(flakyTimes), count: median(countTimes), outcomes }
      log(
        `  in process, window ${window}: flakyWindow + analysePacked ${fmtMs(median(flakyTimes))} over ${outcomes} outcomes · SELECT count(*) ${fmtMs(median(countTimes))} · ratio ${(median(flakyTimes) / median(countTimes)).toFixed(1)}`,
      )
    }
  } finally {
    store.close()
  }

  return [
    {
      name: `flaky, ${history.runs} × ${history.tests} DB`,
      value: flaky,
      target: TARGET_MS,
      unit: 'ms',
      detail: `baseline SELECT count(*) ${fmtMs(count)}, ratio ${(flaky / count).toFixed(2)}; ${tests} tests`,
    },
    {
      name: `flaky (newest ${WINDOW}) / flakeseed --version`,
      value: flaky / startup,
      target: TARGET_STARTUP_RATIO,
      detail: `${fmtMs(flaky)} vs ${fmtMs(startup)} start-up`,
    },
    {
      name: `flaky (newest ${WINDOW}) / flakeseed --version, CPU`,
      value: cpuRatio,
      target: TARGET_STARTUP_RATIO,
      detail: `${fmtMs(lat['flakeseed flaky'].cpuMedian)} vs ${fmtMs(lat['flakeseed --version'].cpuMedian)} CPU; load ${load()}`,
    },
    {
      name: `flaky --window ${history.runs} (CLI)`,
      value: wholeMs,
      target: TARGET_WHOLE_MS,
      unit: 'ms',
      detail: `${history.runs * history.tests} results; CPU ${fmtMs(wholeCpu)}`,
    },
    {
      name: `flaky --window ${history.runs} peak memory`,
      value: wholeMb,
      target: TARGET_WHOLE_MB,
      unit: 'MB',
      detail: "the process's maxRSS",
    },
    {
      name: `flaky --window ${history.runs} (in process)`,
      value: inProcess[history.runs].flaky,
      target: NaN,
      unit: 'ms',
      detail: `${inProcess[history.runs].outcomes} outcomes; count(*) ${fmtMs(inProcess[history.runs].count)}`,
    },
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
