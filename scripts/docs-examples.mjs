// The outputs the docs show as printed, produced by running flakeseed on the example shop
// (examples/shop) with fixed seeds, and written into the marked blocks of the markdown:
//   <!-- sample: NAME -->
//   ```text … ```
//   <!-- /sample -->
// `node scripts/docs-examples.mjs` (npm run docs:examples) rewrites the blocks; `--check` only
// says which differ (exit 1). test/integration/docs.test.ts runs the same scenario and fails on
// any difference, so no sample drifts from what flakeseed prints. What varies from run to run
// (durations, dates, clock times, the temp folder) is normalised.
import { spawnSync } from 'node:child_process'
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { linkModules, REPO } from './sandbox.mjs'

/** The user docs, relative to the repository: the files that may hold samples. */
export const DOC_FILES = [
  'README.md',
  'CONTRIBUTING.md',
  'docs/install.md',
  'docs/configuration.md',
  'docs/bisect.md',
  'docs/flaky.md',
  'docs/quarantine.md',
  'docs/ci.md',
]

const VICTIM = 'test/cart.test.ts > cart > a new cart is empty'
/** The seeds of the recorded history: 1183 passes, then 1–12 (2, 3, 7–11 fail: 'adds a book' runs first). */
const HISTORY_SEEDS = [1183, ...Array.from({ length: 12 }, (_, i) => i + 1)]
/** Stands for today's date in every sample (dates vary; the docs should not). */
const SAMPLE_DATE = '2026-12-01'

/** What varies between two runs of the scenario, made constant. */
export function normalise(text, dir) {
  const now = new Date()
  // Today as UTC and as the local clock gives it: they differ near midnight outside UTC.
  const utc = now.toISOString().slice(0, 10)
  const local = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`
  return text
    .replaceAll(dir, '/tmp/flakeseed-docs')
    .replaceAll(utc, SAMPLE_DATE)
    .replaceAll(local, SAMPLE_DATE)
    .replace(/\b(\d{4}-\d\d-\d\d) \d\d:\d\d\b/g, '$1 12:00')
    .replace(/\b\d+\.\d+ s\b/g, 'n.n s')
    .replace(/T\d\d:\d\d:\d\d\.\d+Z/g, 'T12:00:00.000Z')
    .replace(/\b\d+ms\b/g, 'n ms')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n+$/, '')
}

/**
 * Runs `npx <command> ...args` in `dir` as a child process, stdout and stderr into one file so lines
 * keep the order a terminal shows them in. The docs test passes a runner of its own that runs
 * Vitest and the CLI in its process (test/helpers/in-process.ts) and prints the same.
 */
export function spawnCommand(dir, command, args, env) {
  const log = join(dir, '.docs-output.log')
  const fd = openSync(log, 'w')
  try {
    const result = spawnSync(join(dir, 'node_modules/.bin', command), args, { cwd: dir, env, stdio: ['ignore', fd, fd] })
    return { code: result.status, out: readFileSync(log, 'utf8') }
  } finally {
    closeSync(fd)
  }
}

/** A sandboxed copy of the example shop, with a command runner that keeps what it printed. */
function sandbox(runCommand) {
  const dir = mkdtempSync(join(tmpdir(), 'flakeseed-docs-'))
  cpSync(join(REPO, 'examples/shop'), dir, { recursive: true })
  linkModules(dir)
  cpSync(join(REPO, 'examples/shop/package.json'), join(dir, 'package.json'))
  // Only what a shell needs: CI variables (commit, branch, job summary), an outer Vitest's worker
  // state and FLAKESEED_* would all change what the samples print.
  const env = { FORCE_COLOR: '0', NO_COLOR: '1', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true', COLUMNS: '100' }
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ']) if (process.env[name] !== undefined) env[name] = process.env[name]
  const run = async (command, args, extraEnv = {}) => await runCommand(dir, command, args, { ...env, ...extraEnv })
  return { dir, run }
}

/** flakeseed's own lines and Vitest's summary of a `vitest run`: what a user reads in a CI log. */
function runLines(out) {
  const kept = []
  let inFlakeseed = false
  for (const line of out.split('\n')) {
    // A flakeseed line and the indented lines under it; of Vitest's output, its summary and failures.
    inFlakeseed = line.startsWith('flakeseed') || (inFlakeseed && /^ {2}/.test(line))
    if (inFlakeseed) kept.push(line)
    else if (/Tests |FAIL .*>|AssertionError/.test(line)) kept.push(line.trim())
  }
  return kept.join('\n')
}

/**
 * Every sample, by name: the text its block shows. Takes about 25 Vitest runs and two bisects, each
 * through `runCommand(dir, 'vitest' | 'flakeseed', args, env)` (by default a child process).
 */
export async function produceSamples(runCommand = spawnCommand) {
  const { dir, run } = sandbox(runCommand)
  const samples = new Map()
  const keep = (name, command, out) => samples.set(name, normalise(`$ ${command}\n${out}`, dir))
  const vitest = (seed, extraEnv = {}, args = []) => run('vitest', ['run', '--reporter=dot', ...args], { FLAKESEED_SEED: String(seed), ...extraEnv })
  const flakeseed = (args) => run('flakeseed', args)
  try {
    for (const seed of HISTORY_SEEDS) {
      const { out } = await vitest(seed)
      if (seed === 1183) keep('run-passed', 'FLAKESEED_SEED=1183 npx vitest run', runLines(out))
      if (seed === 2) keep('run-failed', 'FLAKESEED_SEED=2 npx vitest run', runLines(out))
    }
    keep('runs', 'npx flakeseed runs --limit 5', (await flakeseed(['runs', '--limit', '5'])).out)
    keep('suspects', "npx flakeseed suspects 'a new cart is empty'", (await flakeseed(['suspects', 'a new cart is empty'])).out)
    keep('flaky-suspects', 'npx flakeseed flaky', (await flakeseed(['flaky'])).out)
    await historySamples(samples, { run, vitest, flakeseed, keep })
    await quarantineSamples(dir, { vitest, flakeseed, keep })
    await noiseAndShardSamples(dir, { vitest, flakeseed, keep })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return samples
}

/** Bisect (in the failing job, then by hand on run 3, seed 2), the replay it prints, and `flaky`. */
async function historySamples(samples, { run, vitest, flakeseed, keep }) {
  const inJob = await vitest(2, { FLAKESEED_BISECT: 'new', FLAKESEED_BISECT_BUDGET: '120' })
  const inJobLines = inJob.out.split('\n').filter((line) => /^(flakeseed|victim|class|polluter|leaked|also|fix|reproduce| {2}new)/.test(line))
  keep('bisect-in-job', 'FLAKESEED_SEED=2 FLAKESEED_BISECT=new npx vitest run', inJobLines.join('\n'))
  const bisect = await flakeseed(['bisect', '3'])
  keep('bisect', 'npx flakeseed bisect 3', bisect.out)
  // The patch for that finding, verified, not written (the later samples run the same files).
  keep('fix', 'npx flakeseed fix 3', (await flakeseed(['fix', '3'])).out)
  const reproduce = bisect.out.match(/^reproduce: npx flakeseed (.*)$/m)?.[1]
  if (!reproduce) throw new Error(`bisect printed no reproduce command:\n${bisect.out}`)
  const args = [...reproduce.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2])
  const replay = await run('flakeseed', args)
  keep('replay', `npx flakeseed ${reproduce}`, `${runLines(replay.out)}\n(exit code ${replay.code})`)
  keep('flaky', 'npx flakeseed flaky', (await flakeseed(['flaky'])).out)
  keep('run-known', 'FLAKESEED_SEED=3 npx vitest run', runLines((await vitest(3)).out))
  return samples
}

/** Quarantine: add (exact and a part of ids), a run with it, list, an expired and a broken list. */
async function quarantineSamples(dir, { vitest, flakeseed, keep }) {
  const reason = "polluted by 'adds a book' (#482)"
  const add = ['quarantine', 'add', VICTIM, '--reason', reason, '--until', '2099-01-15', '--by', 'Ann']
  keep('quarantine-add', `npx flakeseed quarantine add '${VICTIM}' --reason "${reason}" --until 2099-01-15 --by Ann`, (await flakeseed(add)).out)
  const part = ['quarantine', 'add', 'cart > adds', '--reason', 'shares the cart with every test', '--by', 'Ann']
  keep('quarantine-add-part', "npx flakeseed quarantine add 'cart > adds' --reason 'shares the cart with every test' --by Ann", (await flakeseed(part)).out)
  keep('quarantine-run', 'FLAKESEED_SEED=2 npx vitest run', runLines((await vitest(2)).out))
  keep('quarantine-list', 'npx flakeseed quarantine list', (await flakeseed(['quarantine', 'list'])).out)
  const file = join(dir, '.flakeseed/quarantine.json')
  writeFileSync(file, `${JSON.stringify({ tests: [{ test: VICTIM, reason, until: '2026-01-15' }] }, null, 2)}\n`)
  keep('quarantine-expired', 'FLAKESEED_SEED=2 npx vitest run', runLines((await vitest(2)).out))
  writeFileSync(file, `${JSON.stringify({ tests: [{ test: VICTIM, reason, until: 'someday' }] }, null, 2)}\n`)
  const broken = runLines((await vitest(2)).out)
    .split('\n')
    .filter((line) => line.includes('quarantine.json'))
  keep('quarantine-broken', 'FLAKESEED_SEED=2 npx vitest run', broken.join('\n'))
}

/** Policy by class; a run where most tests failed (left out of `flaky`); two shards merged. */
async function noiseAndShardSamples(dir, { vitest, flakeseed, keep }) {
  const config = join(dir, 'vitest.config.ts')
  const plain = readFileSync(config, 'utf8')
  rmSync(join(dir, '.flakeseed/quarantine.json'))
  writeFileSync(config, plain.replace('flakeseed()', "flakeseed({ quarantine: { auto: ['order-dependent'] } })"))
  const auto = runLines((await vitest(2)).out)
    .split('\n')
    .filter((line) => line.startsWith('flakeseed quarantine auto'))
  keep('quarantine-auto', "FLAKESEED_SEED=2 npx vitest run   # with quarantine: { auto: ['order-dependent'] }", auto.join('\n'))
  writeFileSync(config, plain)
  // Every price and discount test fails (7 of 13): an outage, not 7 flaky tests.
  const price = join(dir, 'src/price.ts')
  const prices = readFileSync(price, 'utf8')
  writeFileSync(price, prices.replace('toFixed(2)', 'toFixed(3)').replace('return Math.round(', 'return 1 + Math.round('))
  await vitest(1)
  writeFileSync(price, prices)
  const flaky = (await flakeseed(['flaky'])).out.split('\n').slice(0, 2)
  keep('flaky-left-out', 'npx flakeseed flaky', flaky.join('\n'))
  for (const shard of [1, 2]) await vitest(1, { FLAKESEED_DB: `shard-${shard}.db` }, [`--shard=${shard}/2`])
  const merge = await flakeseed(['merge', 'shard-1.db', 'shard-2.db', '--into', '.flakeseed/history.db'])
  keep('merge', 'npx flakeseed merge shard-*.db --into .flakeseed/history.db', merge.out)
}

const BLOCK = /(<!-- sample: ([\w-]+) -->\n)[\s\S]*?(\n<!-- \/sample -->)/g

/** `markdown` with every marked block showing its sample; unknown names are an error. */
export function applySamples(markdown, samples, file = 'markdown') {
  return markdown.replace(BLOCK, (_, open, name, close) => {
    const text = samples.get(name)
    if (text === undefined) throw new Error(`${file}: no sample named "${name}"`)
    return `${open}\`\`\`text\n${text}\n\`\`\`${close}`
  })
}

/** The sample names the docs use, each with the files that show it. */
export function usedSamples(files = DOC_FILES) {
  const used = new Map()
  for (const file of files) {
    for (const match of readFileSync(join(REPO, file), 'utf8').matchAll(BLOCK)) used.set(match[2], [...(used.get(match[2]) ?? []), file])
  }
  return used
}

async function main() {
  const check = process.argv.includes('--check')
  const samples = await produceSamples()
  let stale = 0
  for (const file of DOC_FILES) {
    const path = join(REPO, file)
    const before = readFileSync(path, 'utf8')
    const after = applySamples(before, samples, file)
    if (after === before) continue
    stale++
    if (check) console.log(`${file}: samples differ from what flakeseed prints now (npm run docs:examples)`)
    else writeFileSync(path, after)
  }
  console.log(`${samples.size} samples; ${stale} file${stale === 1 ? '' : 's'} ${check ? 'stale' : 'rewritten'}`)
  if (check && stale) process.exitCode = 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
