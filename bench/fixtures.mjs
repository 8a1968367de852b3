// Shared fixtures for benchmarks that need a big history (store, flaky, prune…): not a benchmark
// itself (run.mjs skips it). The DB is generated through the real Store API from dist/, so it
// always has the current schema, and cached under bench/.work/ by shape, schema and generator
// version: a schema change or a generator change makes a new file instead of reusing a stale one.
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, WORK } from './lib.mjs'

/** Bump when the generated content changes, so cached DBs are rebuilt. */
const GENERATOR_VERSION = 2

/** The built store module (run `npm run build` first). */
export async function loadStore() {
  const path = join(ROOT, 'dist', 'src', 'store', 'index.js')
  if (!existsSync(path)) throw new Error('dist/ is missing: run `npm run build` first (`npm run bench` does)')
  return import(pathToFileURL(path).href)
}

/** A small deterministic PRNG (mulberry32), so every machine generates the same DB. */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const AREAS = ['components', 'hooks', 'api', 'store', 'utils', 'routes', 'services', 'lib/parser', 'lib/format', 'features/billing']
const NOUNS = [
  'UserProfile',
  'InvoiceTable',
  'SearchBox',
  'useDebounce',
  'fetchOrders',
  'cartReducer',
  'formatCurrency',
  'parseQuery',
  'AuthGuard',
  'DatePicker',
  'retryPolicy',
  'SessionCache',
]
const VERBS = ['renders', 'returns', 'throws', 'updates', 'keeps', 'rejects', 'formats', 'retries', 'caches', 'validates', 'sorts', 'emits']
const WHATS = [
  'the empty state when there are no items',
  'an error for an expired token',
  'the previous value until the delay has passed',
  'amounts with two decimals in the current locale',
  'nested query strings with repeated keys',
  'a redirect to /login for anonymous users',
  'the selected date across month boundaries',
  'at most three times with exponential backoff',
  'results for identical requests within the ttl',
  'unicode names like Zoë and 山田',
  'items by due date, then by title',
  'a change event once per keystroke',
]

/**
 * The suite of the generated history: `files` files × `testsPerFile` tests with realistic paths
 * and describe chains. Returns `[{ file, names: [name…] }]`.
 */
export function realisticSuite({ files, testsPerFile }, random = prng(7)) {
  const pick = (list) => list[Math.floor(random() * list.length)]
  const suite = []
  const seen = new Set()
  for (let f = 0; f < files; f++) {
    const base = `src/${pick(AREAS)}/${pick(NOUNS).replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}`
    const file = seen.has(base) ? `${base}-${f}.test.ts` : `${base}.test.ts`
    seen.add(base)
    const subject = pick(NOUNS)
    const names = []
    for (let t = 0; t < testsPerFile; t++) {
      const describe = `${subject} > ${pick(['with defaults', 'when offline', 'edge cases', 'integration', 'a11y'])}`
      names.push(`${describe} > ${pick(VERBS)} ${pick(WHATS)} #${t + 1}`)
    }
    suite.push({ file, names })
  }
  return suite
}

/**
 * The root the synthetic history says it ran in: a GitHub Actions runner's checkout, as a real
 * CI history records it. Data only: nothing here reads or writes this path.
 */
const RECORDED_ROOT = '/home/runner/work/app/app'

/** An error as the reporter stores it: the message and the test's own stack frames. */
function errorText(random, file, testNo, flavour) {
  const line = 20 + ((testNo * 7) % 180)
  const at = `    at ${RECORDED_ROOT}/${file}:${line}:${11 + (testNo % 20)}`
  const frames = [at, `    at ${RECORDED_ROOT}/${file}:${line - 9}:5`]
  switch (flavour) {
    case 0:
      return `AssertionError: expected ${testNo % 5} to be ${(testNo % 5) + 1} // Object.is equality\n${frames.join('\n')}`
    case 1:
      return `Error: Test timed out in 5000ms.\nIf this is a long-running test, pass a timeout value as the last argument or configure it globally with "testTimeout".\n${at}`
    case 2:
      return `AssertionError: expected ${Math.floor(random() * 2000)} to be less than 1000\n${frames.join('\n')}`
    default:
      return `TypeError: Cannot read properties of undefined (reading 'items')\n    at ${RECORDED_ROOT}/src/store/orders.ts:${line}:18\n${frames.join('\n')}`
  }
}

/**
 * Writes a history of `runs` runs over a `files` × `testsPerFile` suite into `path` through the
 * Store API, one transaction per run, then VACUUMs. Every run executes the whole suite in a
 * shuffled order on 4 workers; a few percent of tests fail (1–5 % per run), mostly a pool of
 * flaky tests with recurring messages, some with numbers that change every time.
 */
export async function generateHistory(path, { runs, files, testsPerFile, seed = 1 }) {
  const { Store } = await loadStore()
  const random = prng(seed)
  const suite = realisticSuite({ files, testsPerFile })
  const all = suite.flatMap((s, f) => s.names.map((name, t) => ({ file: s.file, name, f, no: f * testsPerFile + t })))
  const total = all.length
  const flakyPool = all.filter(() => random() < 0.08)
  const flavourOf = new Map(all.map((t) => [t.no, Math.floor(random() * 4)]))
  const started = Date.UTC(2026, 0, 1)
  rmSync(path, { force: true })
  for (const ext of ['-wal', '-shm']) rmSync(path + ext, { force: true })
  mkdirSync(join(path, '..'), { recursive: true })
  const store = Store.open(path)
  try {
    let commit = ''
    for (let r = 0; r < runs; r++) {
      if (r % 5 === 0) commit = Array.from({ length: 40 }, () => Math.floor(random() * 16).toString(16)).join('')
      const startedAt = started + r * 3_600_000
      const runSeed = String(Math.floor(random() * 100_000))
      const runId = store.beginRun({
        uuid: `00000000-0000-4000-8000-${String(r).padStart(12, '0')}`,
        kind: 'run',
        startedAt,
        seed: runSeed,
        seedSource: 'random',
        commitSha: commit,
        branch: r % 7 === 0 ? `feature/orders-${r}` : 'main',
        dirty: false,
        ciProvider: 'github',
        ciUrl: `https://github.com/acme/app/actions/runs/${9_000_000_000 + r}`,
        shard: null,
        pool: 'forks',
        isolate: true,
        fileParallelism: true,
        vitestVersion: '4.1.12',
        nodeVersion: 'v20.19.5',
        flakeseedVersion: '0.1.0',
        platform: 'linux-x64',
        argv: '["run"]',
        root: RECORDED_ROOT,
        config: 'vitest.config.ts',
      })
      // This run's failures: 1–5 % of the suite, three in four from the flaky pool.
      const failing = new Set()
      const want = Math.round(total * (0.01 + random() * 0.04))
      while (failing.size < want) failing.add(random() < 0.75 ? flakyPool[Math.floor(random() * flakyPool.length)].no : Math.floor(random() * total))
      const fileOrder = suite.map((_, f) => f).sort(() => random() - 0.5)
      const rows = []
      fileOrder.forEach((f, fileIndex) => {
        const worker = 1 + (fileIndex % 4)
        const order = suite[f].names.map((_, t) => t).sort(() => random() - 0.5)
        order.forEach((t, testIndex) => {
          const no = f * testsPerFile + t
          const failed = failing.has(no)
          const skipped = !failed && no % 97 === 0
          rows.push({
            project: '',
            file: suite[f].file,
            name: suite[f].names[t],
            fileIndex,
            testIndex,
            worker,
            state: failed ? 'failed' : skipped ? 'skipped' : 'passed',
            // Most unit tests take a few ms, some tens, a few hundreds.
            durationMs: skipped ? 0 : Math.floor(random() < 0.9 ? random() * 12 : random() < 0.9 ? random() * 150 : random() * 2500),
            retries: 0,
            flaky: false,
            error: failed ? errorText(random, suite[f].file, no, flavourOf.get(no)) : null,
          })
        })
      })
      store.writeResults(runId, rows)
      store.finishRun(runId, failing.size ? 'failed' : 'passed', startedAt + 60_000 + Math.floor(random() * 30_000))
    }
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    store.db.exec('VACUUM')
  } finally {
    store.close()
  }
  return path
}

/**
 * The cached big history (default 1,000 runs × 2,000 tests = 2 M results) for the current schema;
 * generated on first use (tens of seconds). Returns `{ path, runs, tests, results, generatedMs }`.
 */
export async function bigHistory({ runs = 1000, files = 80, testsPerFile = 25, log = () => {} } = {}) {
  const { SCHEMA_VERSION } = await loadStore()
  const name = `history-${runs}x${files * testsPerFile}-s${SCHEMA_VERSION}-g${GENERATOR_VERSION}.db`
  const path = join(WORK, 'db', name)
  let generatedMs = 0
  if (!existsSync(path)) {
    log(`generating ${name} (${runs} runs × ${files * testsPerFile} tests, once; cached in bench/.work/db/)…`)
    const started = Date.now()
    const temp = `${path}.tmp`
    await generateHistory(temp, { runs, files, testsPerFile })
    renameSync(temp, path)
    generatedMs = Date.now() - started
    log(`  generated in ${(generatedMs / 1000).toFixed(1)} s, ${(statSync(path).size / 1e6).toFixed(1)} MB`)
  }
  return { path, runs, tests: files * testsPerFile, results: runs * files * testsPerFile, generatedMs }
}
