// CI at scale: merging shard DBs, and pruning a big history.
//
// - merge: 8 shard DBs of 2,000 results each (one CI build of a 16,000-test suite) merged into a
//   new DB with `mergeDatabases`, against two baselines measured in the same run: copying the 8
//   files (the floor: what moving the bytes costs) and recording the same 16,000 results through
//   the reporter's `writeResults` (what producing them cost in the first place).
// - prune: a DB of 1,000 runs × 2,000 tests (2 M results) pruned to its newest 100 runs by the
//   CLI (`flakeseed prune --keep 100`, VACUUM included), against a plain VACUUM of the same DB;
//   sizes before and after.
//
// The generator here is this benchmark's own (small, SQL-driven), so it needs nothing shared.
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { alternate, fmtMs, ROOT, runCommand, WORK } from './lib.mjs'

const SHARDS = 8
const PER_SHARD = 2000
const PRUNE_RUNS = 1000
const PRUNE_TESTS = 2000
const KEEP = 100

const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href)

export async function run({ runs, log }) {
  const { Store } = await dist('src/store/index.js')
  const { mergeDatabases } = await dist('src/store/merge.js')
  const dir = join(WORK, 'merge')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })

  // ---- merge ----
  const shards = []
  const shardRows = []
  for (let s = 1; s <= SHARDS; s++) {
    const path = join(dir, `shard-${s}.db`)
    const rows = resultRows(s)
    const store = Store.open(path)
    const id = store.beginRun(runMeta(`shard-${s}`, `${s}/${SHARDS}`))
    store.writeResults(id, rows)
    store.finishRun(id, 'failed')
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    store.close()
    shards.push(path)
    shardRows.push(rows)
  }
  let n = 0
  const fresh = () => {
    const path = join(dir, `target-${n++}.db`)
    return path
  }
  const clean = (path) => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  }
  const results = await alternate(
    runs,
    [
      {
        name: 'merge',
        run: () => {
          const target = fresh()
          const start = performance.now()
          const summary = mergeDatabases(shards, target)
          const ms = performance.now() - start
          if (summary.resultsAdded !== SHARDS * PER_SHARD) throw new Error(`merge added ${summary.resultsAdded} results`)
          clean(target)
          return ms
        },
      },
      {
        name: 'copy files',
        run: () => {
          const target = fresh()
          mkdirSync(target)
          const start = performance.now()
          for (const [i, path] of shards.entries()) copyFileSync(path, join(target, `${i}.db`))
          const ms = performance.now() - start
          rmSync(target, { recursive: true, force: true })
          return ms
        },
      },
      {
        name: 'record',
        run: () => {
          const target = fresh()
          const start = performance.now()
          const store = Store.open(target)
          for (const [i, rows] of shardRows.entries()) {
            const id = store.beginRun(runMeta(`record-${n}-${i}`, `${i + 1}/${SHARDS}`))
            store.writeResults(id, rows)
            store.finishRun(id, 'failed')
          }
          store.close()
          const ms = performance.now() - start
          clean(target)
          return ms
        },
      },
    ],
    { log: process.env.BENCH_VERBOSE ? log : () => {} },
  )
  const merge = results.merge.median
  log(
    `merge ${SHARDS} DBs × ${PER_SHARD} results: ${fmtMs(merge)} · copying the files ${fmtMs(results['copy files'].median)} · recording them ${fmtMs(results.record.median)}`,
  )

  // ---- prune ----
  const big = join(dir, 'big.db')
  const genStart = performance.now()
  generateBig(Store, big)
  log(`generated ${PRUNE_RUNS} runs × ${PRUNE_TESTS} tests in ${fmtMs(performance.now() - genStart)}`)
  const sizeBefore = statSync(big).size
  let sizeAfter = 0
  const pruneRuns = Math.min(runs, 3)
  const cli = join(ROOT, 'dist/cli/index.js')
  const timings = await alternate(
    pruneRuns,
    [
      {
        name: 'prune',
        run: () => {
          const copy = join(dir, 'prune.db')
          clean(copy)
          copyFileSync(big, copy)
          const { ms, stdout } = runCommand(process.execPath, [cli, 'prune', '--keep', String(KEEP), '--db', copy, '--json'])
          const summary = JSON.parse(stdout)
          if (summary.runsRemoved !== PRUNE_RUNS - KEEP) throw new Error(`prune removed ${summary.runsRemoved} runs`)
          sizeAfter = summary.bytesAfter
          clean(copy)
          return ms
        },
      },
      {
        name: 'vacuum',
        run: () => {
          const copy = join(dir, 'vacuum.db')
          clean(copy)
          copyFileSync(big, copy)
          const start = performance.now()
          const db = new Database(copy)
          db.exec('VACUUM')
          db.close()
          const ms = performance.now() - start
          clean(copy)
          return ms
        },
      },
    ],
    { log: process.env.BENCH_VERBOSE ? log : () => {} },
  )
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
  log(
    `prune --keep ${KEEP} of ${PRUNE_RUNS * PRUNE_TESTS} results: ${fmtMs(timings.prune.median)} (plain VACUUM ${fmtMs(timings.vacuum.median)}) · ${mb(sizeBefore)} → ${mb(sizeAfter)}`,
  )
  rmSync(dir, { recursive: true, force: true })

  return [
    { name: `merge ${SHARDS}×${PER_SHARD} results`, value: merge, unit: 'ms', target: NaN, pass: true, detail: 'context' },
    { name: 'merge / copying the files', value: merge / results['copy files'].median, target: NaN, pass: true, detail: 'the floor: moving the bytes' },
    { name: 'merge / recording the results', value: merge / results.record.median, target: 2, detail: 'a merge costs about what writing the results did' },
    {
      name: `prune to ${KEEP} of ${PRUNE_RUNS} runs (2 M results)`,
      value: timings.prune.median,
      unit: 'ms',
      target: NaN,
      pass: true,
      detail: `${mb(sizeBefore)} → ${mb(sizeAfter)}`,
    },
    {
      name: 'prune / plain VACUUM',
      value: timings.prune.median / timings.vacuum.median,
      target: NaN,
      pass: true,
      detail: 'prune = deletes + VACUUM of what is left',
    },
    { name: 'size after / before', value: sizeAfter / sizeBefore, target: (KEEP / PRUNE_RUNS) * 1.5, detail: `${KEEP} of ${PRUNE_RUNS} runs kept` },
  ]
}

function runMeta(uuid, shard) {
  return {
    uuid,
    kind: 'run',
    startedAt: Date.now(),
    seed: '1183',
    seedSource: 'env',
    commitSha: 'bench',
    branch: 'main',
    dirty: false,
    ciProvider: 'bench',
    ciUrl: null,
    shard,
    pool: 'forks',
    isolate: true,
    fileParallelism: true,
    vitestVersion: '4.1.12',
    nodeVersion: process.version,
    flakeseedVersion: '0',
    platform: `${process.platform}-${process.arch}`,
    argv: '[]',
    root: ROOT,
    config: null,
  }
}

/** One shard's results: its own 2,000 tests, 50 files of 40, one failure in a hundred. */
function resultRows(shard) {
  const rows = []
  for (let i = 0; i < PER_SHARD; i++) {
    const file = Math.floor(i / 40)
    rows.push({
      project: '',
      file: `test/shard${shard}/file${file}.test.ts`,
      name: `describe ${i % 5} > test ${i}`,
      fileIndex: file,
      testIndex: i % 40,
      worker: 1 + (file % 2),
      state: i % 100 === 7 ? 'failed' : 'passed',
      durationMs: i % 13,
      retries: 0,
      flaky: false,
      error: i % 100 === 7 ? 'AssertionError: expected 1 to be 2\n    at test/file.test.ts:3:7' : null,
    })
  }
  return rows
}

/** 1,000 finished runs × 2,000 tests, written with SQL so generating takes seconds, not minutes. */
function generateBig(Store, path) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true })
  Store.open(path).close()
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.transaction(() => {
    const test = db.prepare('INSERT INTO tests (project, file, name) VALUES (?, ?, ?)')
    for (let i = 0; i < PRUNE_TESTS; i++) test.run('', `test/file${Math.floor(i / 40)}.test.ts`, `describe ${i % 5} > test ${i}`)
    const run = db.prepare(
      `INSERT INTO runs (uuid, kind, status, started_at, finished_at, seed, seed_source, commit_sha, node_version, flakeseed_version, platform, argv, root)
       VALUES (?, 'run', 'passed', ?, ?, ?, 'random', ?, 'v20', '0', 'linux-x64', '[]', '/bench')`,
    )
    const start = Date.now() - PRUNE_RUNS * 3600_000
    for (let r = 0; r < PRUNE_RUNS; r++) run.run(`big-${r}`, start + r * 3600_000, start + r * 3600_000 + 60_000, String(r), `commit${Math.floor(r / 5)}`)
    db.exec(
      `INSERT INTO results (run_id, test_id, file_index, test_index, worker, state, duration_ms, retries, flaky, error)
       SELECT r.id, t.id, (t.id - 1) / 40, (t.id - 1) % 40, 1 + t.id % 2, CASE WHEN (r.id * 7 + t.id) % 997 = 0 THEN 1 ELSE 0 END,
         (r.id + t.id) % 50, 0, 0, CASE WHEN (r.id * 7 + t.id) % 997 = 0 THEN 'AssertionError: expected 1 to be 2' END
       FROM runs r CROSS JOIN tests t ORDER BY r.id, t.id`,
    )
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}
