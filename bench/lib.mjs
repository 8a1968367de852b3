// Helpers shared by every benchmark in bench/. A benchmark is a module `bench/<name>.mjs` that
// exports `async run({ runs, log })` and returns summary rows (see run.mjs). These machines are
// noisy: measure a baseline in the same run, alternate variants, report ratios and medians, and
// never assert absolute times.
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (the folder holding package.json). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Scratch space for every benchmark (gitignored). */
export const WORK = join(ROOT, 'bench', '.work')

/** Number of measured runs per variant: `BENCH_RUNS`, else `fallback`. */
export function benchRuns(fallback = 7) {
  const raw = process.env.BENCH_RUNS
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_RUNS must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

/** Runs a command to completion, throwing with its output's tail when it cannot start or exits non-zero. */
export function runCommand(cmd, args, { cwd = ROOT, env, allowFail = false } = {}) {
  const cpuStart = childrenCpuMs()
  const start = process.hrtime.bigint()
  const result = spawnSync(cmd, args, {
    cwd,
    env: env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const cpuEnd = childrenCpuMs()
  const cpuMs = cpuStart === undefined || cpuEnd === undefined ? undefined : cpuEnd - cpuStart
  if (result.error) throw new Error(`${cmd} ${args.join(' ')}: ${result.error.message}`)
  if (!allowFail && result.status !== 0) {
    const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${why}\n${tail(result.stdout)}\n${tail(result.stderr)}`)
  }
  return { ms, cpuMs, status: result.status, signal: result.signal, stdout: result.stdout ?? '', stderr: result.stderr ?? '' }
}

/**
 * CPU time (user + system, ms) of this process's finished children and everything they waited
 * for: a command's whole process tree, Vitest's workers included. Unlike wall time it hardly
 * moves when other jobs load the machine. Linux only (undefined elsewhere); 10 ms resolution.
 */
export function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    // Fields 16 and 17 of proc(5), cutime and cstime, in clock ticks (100 per second on Linux).
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return undefined
  }
}

/**
 * Wall time of one command in ms (with `cpu: true`, `{ ms, cpuMs }`). It must exit 0 (else this
 * throws); `check(result)` may inspect `{ stdout, stderr, status }` and throw when the run did
 * not do what is being measured.
 */
export function timeCommand(cmd, args, { cwd, env, check, cpu = false } = {}) {
  const result = runCommand(cmd, args, { cwd, env })
  if (check) check(result)
  return cpu ? { ms: result.ms, cpuMs: result.cpuMs } : result.ms
}

export function median(values) {
  if (values.length === 0) throw new Error('median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Measures variants interleaved: one discarded warm-up each, then A,B,A,B… `n` times each, so
 * drift in machine load hits every variant alike. A variant is `{ name, run }` where `run()`
 * (may be async) returns the ms it took, or `{ ms, cpuMs }`. Returns
 * `{ [name]: { median, min, max, samples, cpuMedian, cpuSamples } }` (`cpuMedian` and
 * `cpuSamples` when every run gave one; `samples[i]` of two variants ran back to back).
 */
export async function alternate(n, variants, { log = () => {} } = {}) {
  const names = new Set()
  for (const v of variants) {
    if (names.has(v.name)) throw new Error(`alternate: duplicate variant name ${v.name}`)
    names.add(v.name)
  }
  const samples = Object.fromEntries(variants.map((v) => [v.name, []]))
  const cpu = Object.fromEntries(variants.map((v) => [v.name, []]))
  const measure = async (v) => {
    const out = await v.run()
    return typeof out === 'number' ? { ms: out, cpuMs: undefined } : out
  }
  for (const v of variants) {
    const { ms } = await measure(v)
    log(`  warm-up ${v.name}: ${fmtMs(ms)}`)
  }
  for (let i = 0; i < n; i++) {
    for (const v of variants) {
      const { ms, cpuMs } = await measure(v)
      samples[v.name].push(ms)
      cpu[v.name].push(cpuMs)
      log(`  run ${i + 1}/${n} ${v.name}: ${fmtMs(ms)}${cpuMs === undefined ? '' : ` (cpu ${fmtMs(cpuMs)})`}`)
    }
  }
  return Object.fromEntries(
    variants.map((v) => {
      const s = samples[v.name]
      const c = cpu[v.name]
      const all = c.every((x) => x !== undefined)
      return [
        v.name,
        { median: median(s), min: Math.min(...s), max: Math.max(...s), samples: s, cpuMedian: all ? median(c) : undefined, cpuSamples: all ? c : undefined },
      ]
    }),
  )
}

let packed
/** `npm pack` of the repository, once per process (run `npm run build` first: it packs dist/). */
export function packTarball() {
  if (packed && existsSync(packed)) return packed
  const dest = join(WORK, 'pack')
  rmSync(dest, { recursive: true, force: true })
  mkdirSync(dest, { recursive: true })
  if (!existsSync(join(ROOT, 'dist', 'src', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm run bench` does)')
  }
  const { stdout } = runCommand('npm', ['pack', '--json', '--pack-destination', dest], { cwd: ROOT })
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')))
  packed = join(dest, info.filename)
  return packed
}

/**
 * Makes `dir` a throwaway user project with flakeseed installed as a user gets it: the packed
 * tarball extracted as real files into node_modules/flakeseed, and every other package (vitest,
 * better-sqlite3, …) a symlink into the repository's node_modules, so nothing is fetched or
 * compiled. Empties `dir` first. Writes `package.json` (`"type": "module"`).
 */
export function installApp(dir, { name = 'flakeseed-bench-app' } = {}) {
  rmSync(dir, { recursive: true, force: true })
  const modules = join(dir, 'node_modules')
  const target = join(modules, 'flakeseed')
  mkdirSync(target, { recursive: true })
  runCommand('tar', ['-xzf', packTarball(), '-C', target, '--strip-components=1'])
  if (!existsSync(join(target, 'dist', 'src', 'worker', 'runner.js'))) throw new Error(`installApp: the tarball has no dist/src/worker/runner.js`)

  const source = join(ROOT, 'node_modules')
  const link = (from, to) => symlinkSync(from, to, lstatSync(from).isDirectory() ? 'dir' : 'file')
  for (const entry of readdirSync(source)) {
    if (entry === 'flakeseed' || entry === '.package-lock.json' || entry === '.vite' || entry === '.cache') continue
    const from = join(source, entry)
    if (entry.startsWith('@')) {
      // Scoped folder: a real folder of links, so the app can add its own scoped packages.
      mkdirSync(join(modules, entry), { recursive: true })
      for (const pkg of readdirSync(from)) link(join(from, pkg), join(modules, entry, pkg))
    } else {
      link(from, join(modules, entry))
    }
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, version: '0.0.0', type: 'module' }, null, 2)}\n`)
  return dir
}

/**
 * Writes `files` test files `test/f001.test.ts`… with `testsPerFile` tests each, spread over
 * `describes` describe blocks (one nested level inside the first describe, and a beforeEach),
 * each doing a little real work and a few expect calls. No sleeps, no I/O.
 */
export function generateSuite(dir, { files, testsPerFile, describes = 5 }) {
  const testDir = join(dir, 'test')
  rmSync(testDir, { recursive: true, force: true })
  mkdirSync(testDir, { recursive: true })
  const width = Math.max(3, String(files).length)
  const paths = []
  for (let f = 1; f <= files; f++) {
    const groups = Array.from({ length: Math.max(1, describes) }, () => [])
    for (let t = 0; t < testsPerFile; t++) groups[t % groups.length].push(t)
    const lines = [
      `import { beforeEach, describe, expect, it } from 'vitest'`,
      ``,
      `const table = Array.from({ length: 64 }, (_, i) => (i * 2654435761) % 1000)`,
      `function work(seed: number): number {`,
      `  let acc = seed`,
      `  for (let i = 0; i < 2000; i++) acc = (acc * 31 + table[i & 63]!) % 1000003`,
      `  return acc`,
      `}`,
      ``,
    ]
    groups.forEach((tests, d) => {
      lines.push(`describe('group ${d + 1}', () => {`)
      lines.push(`  let state: number[] = []`)
      lines.push(`  beforeEach(() => { state = [${f}, ${d}] })`)
      const nestAt = d === 0 && tests.length > 4 ? Math.floor(tests.length / 2) : -1
      tests.forEach((t, i) => {
        if (i === nestAt) lines.push(`  describe('nested', () => {`)
        const pad = nestAt >= 0 && i >= nestAt ? '    ' : '  '
        lines.push(`${pad}it('test ${t + 1} computes', () => {`)
        lines.push(`${pad}  const value = work(${f * 1000 + t})`)
        lines.push(`${pad}  expect(value).toBeGreaterThanOrEqual(0)`)
        lines.push(`${pad}  expect(value).toBe(work(${f * 1000 + t}))`)
        lines.push(`${pad}  expect(state).toEqual([${f}, ${d}])`)
        lines.push(`${pad}  expect({ id: ${t}, tags: ['a', 'b'] }).toMatchObject({ id: ${t} })`)
        lines.push(`${pad}})`)
      })
      if (nestAt >= 0) lines.push(`  })`)
      lines.push(`})`, ``)
    })
    const path = join(testDir, `f${String(f).padStart(width, '0')}.test.ts`)
    writeFileSync(path, lines.join('\n'))
    paths.push(path)
  }
  return paths
}

/** Writes `vitest.<name>.config.ts` in `dir` from the body of `defineConfig({...})`; returns its file name. */
export function writeConfig(dir, name, { imports = [], body }) {
  const file = `vitest.${name}.config.ts`
  const text = [`import { defineConfig } from 'vitest/config'`, ...imports, ``, `export default defineConfig(${body})`, ``]
  writeFileSync(join(dir, file), text.join('\n'))
  return file
}

/** Removes ANSI colour codes (in case a child decides it has a colour terminal). */
export function stripAnsi(text) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
}

export function fmtMs(ms) {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

export function fmtRatio(r) {
  return r.toFixed(3)
}

/** A fixed-width text table; `rows` are arrays of cells, the first row the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)))
  const line = (r) =>
    r
      .map((cell, c) => String(cell ?? '').padEnd(widths[c]))
      .join('  ')
      .trimEnd()
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

function tail(text, lines = 30) {
  return (text ?? '').trimEnd().split('\n').slice(-lines).join('\n')
}
