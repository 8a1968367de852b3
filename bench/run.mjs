// Runs every benchmark module in bench/ (each `bench/<name>.mjs` exporting `run()`, except lib and
// run) and prints a summary of its rows against their targets.
//
//   node bench/run.mjs            all benchmarks (`npm run bench` builds first)
//   node bench/run.mjs shuffle    only the named ones
//
// A benchmark's `run({ runs, log })` returns rows `{ name, value, target, unit?, pass?, detail? }`
// (unit 'ratio' by default, lower is better, `pass` defaults to `value <= target`; a row whose
// target is NaN and has no `pass` is information only and shows as `info`).
// Exit code: 0 even when a target is missed (the row says OVER); 1 when a benchmark crashed.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { benchRuns, fmtMs, fmtRatio, ROOT, table } from './lib.mjs'

const dir = join(ROOT, 'bench')
const only = process.argv.slice(2)
const names = readdirSync(dir)
  // lib.mjs and fixtures.mjs are helpers, run.mjs is this file.
  .filter((f) => f.endsWith('.mjs') && !['lib.mjs', 'fixtures.mjs', 'run.mjs'].includes(f))
  .map((f) => f.slice(0, -'.mjs'.length))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort()
if (only.length > 0 && names.length !== only.length) {
  console.error(`unknown benchmark(s): ${only.filter((n) => !names.includes(n)).join(', ')}`)
  process.exit(2)
}

const runs = benchRuns()
const summary = []
const crashed = []
console.log(`flakeseed benchmarks · node ${process.version} · ${runs} runs per variant (BENCH_RUNS)`)
for (const name of names) {
  const mod = await import(pathToFileURL(join(dir, `${name}.mjs`)).href)
  if (typeof mod.run !== 'function') continue
  console.log(`\n=== ${name} ${'='.repeat(Math.max(3, 60 - name.length))}`)
  const started = Date.now()
  try {
    const rows = (await mod.run({ runs, log: console.log })) ?? []
    for (const row of rows) summary.push({ bench: name, ...row })
    console.log(`(${name} took ${fmtMs(Date.now() - started)})`)
  } catch (error) {
    crashed.push(name)
    console.error(`\n${name} CRASHED after ${fmtMs(Date.now() - started)}:\n${error?.stack ?? error}`)
    summary.push({ bench: name, name: '(crashed)', value: NaN, target: NaN, pass: false, crashed: true })
  }
}

const show = (value, unit) => {
  if (!Number.isFinite(value)) return '-'
  if (unit === 'ms') return fmtMs(value)
  if (unit === 'ratio' || unit === undefined) return fmtRatio(value)
  return `${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`
}
console.log(`\n=== summary ${'='.repeat(56)}`)
console.log(
  table([
    ['bench', 'measure', 'value', 'target', 'result', 'detail'],
    ...summary.map((r) => [
      r.bench,
      r.name,
      show(r.value, r.unit),
      Number.isFinite(r.target) ? `≤ ${show(r.target, r.unit)}` : '-',
      r.crashed ? 'CRASH' : r.pass === undefined && !Number.isFinite(r.target) ? 'info' : (r.pass ?? r.value <= r.target) ? 'PASS' : 'OVER',
      r.detail ?? '',
    ]),
  ]),
)
if (crashed.length > 0) {
  console.error(`\ncrashed: ${crashed.join(', ')}`)
  process.exit(1)
}
