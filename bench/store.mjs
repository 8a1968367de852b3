// The history store (issue 3): what recording costs a run, what a stored result costs on disk, and
// how fast `runs` and `show` answer on a big history.
//
// - record: the reporter's write path (Store.open, beginRun, one writeResults per finished file,
//   finishRun, close) for 10,000 results (200 files × 50 tests), into a new DB and appended to
//   a 2 M-result DB. Target ≤ 100 ms added per run. Measured directly: without the store the
//   reporter does none of this work (building the rows is timed as the baseline, for context).
// - bytes: results table + its index, over the result count, on 1,000 runs × 2,000 tests after
//   VACUUM (bench/fixtures.mjs). Target ≤ 40 B. The whole file per result is printed too.
// - latency: `flakeseed runs` and `flakeseed show last` as a user runs them, against a CLI call
//   that opens no DB (`--version`) and a bare `node -e ''`, so the difference is the command's
//   own cost; the in-process query times are printed beside them.
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { bigHistory, loadStore, realisticSuite } from './fixtures.mjs'
import { alternate, benchRuns, fmtMs, median, ROOT, runCommand, stripAnsi, table, WORK } from './lib.mjs'

const CLI = join(ROOT, 'dist', 'cli', 'index.js')
const RECORD = { files: 200, testsPerFile: 50 }
const RECORD_TARGET_MS = 100
const BYTES_TARGET = 40

export async function run({ runs = benchRuns(), log = console.log } = {}) {
  const verbose = process.env.BENCH_VERBOSE ? log : () => {}
  const { Store, SCHEMA_VERSION } = await loadStore()
  const history = await bigHistory({ log })
  const dir = join(WORK, 'store')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const rows = []

  // ---- record 10,000 results ----
  const total = RECORD.files * RECORD.testsPerFile
  const suite = realisticSuite(RECORD)
  const buildRows = () =>
    suite.map((s, fileIndex) =>
      s.names.map((name, testIndex) => ({
        project: '',
        file: s.file,
        name,
        fileIndex,
        testIndex,
        worker: 1 + (fileIndex % 4),
        state: testIndex === 7 && fileIndex % 10 === 0 ? 'failed' : 'passed',
        durationMs: (fileIndex * 31 + testIndex * 7) % 40,
        retries: 0,
        flaky: false,
        error: testIndex === 7 && fileIndex % 10 === 0 ? `AssertionError: expected 1 to be 2 // Object.is equality\n    at ${s.file}:42:17` : null,
      })),
    )
  const byFile = buildRows()
  let uuid = 0
  const meta = () => ({
    uuid: `bench-${process.pid}-${uuid++}`,
    kind: 'run',
    startedAt: Date.now(),
    seed: '1183',
    seedSource: 'random',
    commitSha: 'a'.repeat(40),
    branch: 'main',
    dirty: false,
    ciProvider: null,
    ciUrl: null,
    shard: null,
    pool: 'forks',
    isolate: true,
    fileParallelism: true,
    vitestVersion: '4.1.12',
    nodeVersion: process.version,
    flakeseedVersion: '0.1.0',
    platform: `${process.platform}-${process.arch}`,
    argv: '["run"]',
    root: ROOT,
    config: null,
  })
  // CPU time beside wall time: on a loaded machine (load average above the core count) wall time
  // includes waiting for a core, CPU time does not.
  const cpu = { 'record into a new DB': [], 'record into the 2 M-result DB': [] }
  const record = (path, variant) => {
    const started = performance.now()
    const usage = process.cpuUsage()
    const store = Store.open(path)
    const runId = store.beginRun(meta())
    for (const fileRows of byFile) store.writeResults(runId, fileRows)
    store.finishRun(runId, 'failed')
    store.close()
    const used = process.cpuUsage(usage)
    cpu[variant].push((used.user + used.system) / 1000)
    return performance.now() - started
  }
  const fresh = join(dir, 'record-new.db')
  const appended = join(dir, 'record-append.db')
  copyFileSync(history.path, appended)
  log(`\nrecord ${total} results (${RECORD.files} files × ${RECORD.testsPerFile} tests, one transaction per file), ${runs} runs each`)
  const rec = await alternate(
    runs,
    [
      {
        name: 'build rows only (baseline)',
        run: () => {
          const started = performance.now()
          buildRows()
          return performance.now() - started
        },
      },
      {
        name: 'record into a new DB',
        run: () => {
          for (const ext of ['', '-wal', '-shm']) rmSync(fresh + ext, { force: true })
          return record(fresh, 'record into a new DB')
        },
      },
      { name: 'record into the 2 M-result DB', run: () => record(appended, 'record into the 2 M-result DB') },
    ],
    { log: verbose },
  )
  log(statsTable(rec))
  const appendMs = rec['record into the 2 M-result DB'].median
  const newMs = rec['record into a new DB'].median
  // The warm-up run is first in each list (it also inserts the 10,000 new tests): leave it out.
  const cpuMs = (variant) => median(cpu[variant].slice(1))
  const load = loadavg()[0]
  log(
    `  CPU time (median): new DB ${ms1(cpuMs('record into a new DB'))}, 2 M-result DB ${ms1(cpuMs('record into the 2 M-result DB'))} · load average ${load.toFixed(1)} on ${availableParallelism()} cores`,
  )
  const appendedCount = countResults(Store, appended)
  const expected = history.results + (runs + 1) * total
  if (appendedCount !== expected) throw new Error(`record: expected ${expected} results in ${appended}, found ${appendedCount}`)
  rows.push({
    name: `record ${total} results (2 M-result DB)`,
    value: appendMs,
    target: RECORD_TARGET_MS,
    unit: 'ms',
    detail: `CPU ${ms1(cpuMs('record into the 2 M-result DB'))}; new DB ${ms1(newMs)}; load ${load.toFixed(1)}`,
  })

  // ---- bytes per stored result ----
  const sizes = dbSizes(Store, history.path)
  const n = sizes.results
  const resultBytes = sizes.tables.results + (sizes.tables.results_by_test ?? 0) + (sizes.tables.results_failed ?? 0)
  log(`\nbytes on disk, ${history.runs} runs × ${history.tests} tests = ${n.toLocaleString('en')} results (schema ${SCHEMA_VERSION}, after VACUUM)`)
  log(
    table([
      ['table/index', 'bytes', 'B/result'],
      ...Object.entries(sizes.tables).map(([name, bytes]) => [name, bytes.toLocaleString('en'), (bytes / n).toFixed(2)]),
      ['whole file', sizes.file.toLocaleString('en'), (sizes.file / n).toFixed(2)],
    ]),
  )
  log(
    `  failures: ${((100 * sizes.failed) / n).toFixed(2)} % of results, error text ${sizes.errorBytes.toLocaleString('en')} B ` +
      `(${(sizes.errorBytes / n).toFixed(2)} B/result, ${Math.round(sizes.errorBytes / Math.max(1, sizes.failed))} B per failure)`,
  )
  rows.push({
    name: 'bytes per result (results + indexes)',
    value: resultBytes / n,
    target: BYTES_TARGET,
    unit: 'B',
    detail: `whole DB ${(sizes.file / n).toFixed(1)} B; error text ${(sizes.errorBytes / n).toFixed(1)} B of it`,
  })

  // ---- CLI latency ----
  const db = history.path
  const cli = (args) => () => runCommand(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } }).ms
  const checked = (args, check) => () => {
    const result = runCommand(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } })
    check(stripAnsi(result.stdout))
    return result.ms
  }
  const lines = (text) => text.trimEnd().split('\n').length
  log(`\nCLI latency on the ${history.runs} × ${history.tests} DB (${runs} runs each, alternated)`)
  const lat = await alternate(
    runs,
    [
      { name: "node -e ''", run: () => runCommand(process.execPath, ['-e', '']).ms },
      { name: 'flakeseed --version', run: cli(['--version']) },
      {
        name: 'flakeseed runs',
        run: checked(['runs', '--db', db], (out) => {
          if (lines(out) !== 21) throw new Error(`runs: expected a header and 20 runs, got:\n${out}`)
        }),
      },
      {
        name: 'flakeseed runs --json',
        run: checked(['runs', '--json', '--db', db], (out) => {
          const list = JSON.parse(out)
          if (list.length !== 20 || list[0].passed + list[0].failed + list[0].skipped !== history.tests) throw new Error('runs --json: wrong runs or counts')
        }),
      },
      {
        name: 'flakeseed show last',
        run: checked(['show', 'last', '--db', db], (out) => {
          if ((out.match(/^ {7}[✓✗↓] /gm) ?? []).length !== history.tests) throw new Error(`show last: expected ${history.tests} test lines`)
        }),
      },
      {
        name: 'flakeseed show last --json',
        run: checked(['show', 'last', '--json', '--db', db], (out) => {
          const shown = JSON.parse(out)
          if (shown.files.reduce((k, f) => k + f.tests.length, 0) !== history.tests) throw new Error('show --json: wrong test count')
        }),
      },
    ],
    { log: verbose },
  )
  const base = lat['flakeseed --version'].median
  log(
    table([
      ['command', 'median', 'min', 'max', 'over --version'],
      ...Object.entries(lat).map(([name, s]) => [
        name,
        fmtMs(s.median),
        fmtMs(s.min),
        fmtMs(s.max),
        name.startsWith('flakeseed ') && name !== 'flakeseed --version' ? `+${fmtMs(s.median - base)}` : '',
      ]),
    ]),
  )
  const q = queryTimes(Store, db, runs)
  log(
    `  in-process: listRuns(20) ${q.runs20.toFixed(1)} ms · resolveRun(last)+results ${q.show.toFixed(1)} ms · listRuns(1000) ${q.runs1000.toFixed(0)} ms (runs --limit 1000)`,
  )
  for (const [name, key, query] of [
    ['runs', 'flakeseed runs', q.runs20],
    ['show last', 'flakeseed show last', q.show],
    ['show last --json', 'flakeseed show last --json', q.show],
  ]) {
    const s = lat[key]
    rows.push({
      name: `${name} latency (1000 × 2000 DB)`,
      value: s.median,
      target: NaN,
      unit: 'ms',
      detail: `--version ${fmtMs(base)}, ratio ${(s.median / base).toFixed(2)}; query ${query.toFixed(1)} ms`,
    })
  }
  return rows
}

function statsTable(result) {
  return table([['variant', 'median', 'min', 'max'], ...Object.entries(result).map(([name, s]) => [name, ms1(s.median), ms1(s.min), ms1(s.max)])])
}

function ms1(ms) {
  return ms < 10 ? `${ms.toFixed(1)} ms` : fmtMs(ms)
}

function countResults(Store, path) {
  const store = Store.open(path, { readonly: true })
  try {
    return store.db.prepare('SELECT count(*) FROM results').pluck().get()
  } finally {
    store.close()
  }
}

/** Bytes per table and index (SQLite's dbstat), the file size, the result and failure counts. */
function dbSizes(Store, path) {
  const store = Store.open(path, { readonly: true })
  try {
    const tables = {}
    for (const r of store.db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all()) tables[r.name] = r.bytes
    const results = store.db.prepare('SELECT count(*) FROM results').pluck().get()
    const failed = store.db.prepare('SELECT count(*) FROM results WHERE error IS NOT NULL').pluck().get()
    const errorBytes = store.db.prepare('SELECT coalesce(sum(length(CAST(error AS BLOB))), 0) FROM results').pluck().get()
    const file = statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0)
    return { tables, results, failed, errorBytes, file }
  } finally {
    store.close()
  }
}

/** The queries behind `runs` and `show last`, in process: median of `n` after one warm-up. */
function queryTimes(Store, path, n) {
  const store = Store.open(path, { readonly: true })
  try {
    const time = (fn) => {
      fn()
      const samples = []
      for (let i = 0; i < n; i++) {
        const started = performance.now()
        fn()
        samples.push(performance.now() - started)
      }
      return median(samples)
    }
    return {
      runs20: time(() => store.listRuns(20)),
      show: time(() => store.results(store.resolveRun('last', ['run', 'replay']).id)),
      runs1000: time(() => store.listRuns(1000)),
    }
  } finally {
    store.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
