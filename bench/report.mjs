// `flakeseed report --html` on the big history (issue 24): 1,000 runs × 2,000 tests
// (bench/fixtures.mjs), default window (the newest 100 runs, about 1,200 flaky tests).
//
// - CLI: `flakeseed report --html … --db …` as a user runs it, alternated with `flakeseed
//   --version` (the CLI's start-up floor). Target: ≤ 2 s.
// - Size of the written file. Target: ≤ 5 MB.
// - Time to first paint in headless Chromium (Debian's `chromium`; installed here when missing,
//   as .ci/run does): a copy of the report with a probe script in its head that logs the paint
//   entries (`first-contentful-paint`) and the load event, against the same probe on a page of
//   one heading, alternated. Information (the issue sets no target): the first paint and the load
//   of the whole page, and their ratio to the one-heading page.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findChromium, openPage, screenshot } from '../scripts/chromium.mjs'
import { bigHistory } from './fixtures.mjs'
import { alternate, benchRuns, fmtMs, median, ROOT, runCommand, stripAnsi, table, WORK } from './lib.mjs'

const CLI = join(ROOT, 'dist', 'cli', 'index.js')
const TARGET_MS = 2000
const TARGET_BYTES = 5e6

// Logs every paint entry and the load event as console lines the bench reads back.
const PROBE =
  '<script>new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { console.log("BENCH " + e.name + " " + e.startTime) }) }).observe({ type: "paint", buffered: true });' +
  'addEventListener("load", function () { console.log("BENCH load " + performance.now()) })</script>'

export async function run({ runs = benchRuns(), log = console.log } = {}) {
  const verbose = process.env.BENCH_VERBOSE ? log : () => {}
  const history = await bigHistory({ log })
  const db = history.path
  const out = join(WORK, 'report.html')
  const env = { ...process.env, NO_COLOR: '1' }
  let line = ''
  log(`report --html on the ${history.runs} × ${history.tests} DB, default window (${runs} runs each, alternated)`)
  const lat = await alternate(
    runs,
    [
      { name: 'flakeseed --version', run: () => runCommand(process.execPath, [CLI, '--version'], { env }).ms },
      {
        name: 'flakeseed report --html',
        run: () => {
          rmSync(out, { force: true })
          const result = runCommand(process.execPath, [CLI, 'report', '--html', out, '--db', db], { env })
          line = stripAnsi(result.stdout).trim()
          if (!/^flakeseed report: 100 runs, \d+ flaky tests/.test(line)) throw new Error(`report: unexpected output:\n${result.stdout.slice(0, 500)}`)
          return result.ms
        },
      },
    ],
    { log: verbose },
  )
  log(table([['command', 'median', 'min', 'max'], ...Object.entries(lat).map(([name, s]) => [name, fmtMs(s.median), fmtMs(s.min), fmtMs(s.max)])]))
  const ms = lat['flakeseed report --html'].median
  const startup = lat['flakeseed --version'].median
  const bytes = statSync(out).size
  log(`  ${line}\n  ${(bytes / 1e6).toFixed(2)} MB · ${(ms / startup).toFixed(1)}× start-up`)

  const rows = [
    {
      name: `report --html, ${history.runs} × ${history.tests} DB`,
      value: ms,
      target: TARGET_MS,
      unit: 'ms',
      detail: `${(ms / startup).toFixed(1)}× --version (${fmtMs(startup)})`,
    },
    { name: 'report --html file size', value: bytes / 1e6, target: TARGET_BYTES / 1e6, unit: 'MB', detail: line.replace(/ → .*/, '') },
  ]
  const paint = paintTimes(out, Math.max(3, Math.min(runs, 5)), log, verbose)
  if (paint) rows.push(paint)
  return rows
}

/** First contentful paint and load of the report in headless Chromium, against a one-heading page. */
function paintTimes(report, n, log, verbose) {
  const chromium = ensureChromium(log)
  if (!chromium) return { name: 'report first paint (Chromium)', value: NaN, target: NaN, pass: false, detail: 'chromium missing: not measured' }
  const probed = join(WORK, 'report-probe.html')
  const blank = join(WORK, 'blank-probe.html')
  writeFileSync(probed, readFileSync(report, 'utf8').replace('<meta charset="utf-8">', `<meta charset="utf-8">${PROBE}`))
  writeFileSync(blank, `<!doctype html><html><head><meta charset="utf-8">${PROBE}</head><body><h1>flakeseed</h1></body></html>`)
  if (!openPage(chromium, probed).dom.includes('data-ready="yes"')) throw new Error('the report script did not run to its end')
  const png = join(WORK, 'paint.png')
  // A screenshot waits for the load and a paint (a DOM dump stops at the load, before a small page paints).
  const measure = (file) => {
    const console = screenshot(chromium, file, png)
    const times = Object.fromEntries(
      console
        .map((l) => /"BENCH (\S+) ([\d.]+)"/.exec(l))
        .filter(Boolean)
        .map((m) => [m[1], Number(m[2])]),
    )
    if (!(times['first-contentful-paint'] >= 0) || !(times.load >= 0)) throw new Error(`no paint or load time from ${file}:\n${console.join('\n')}`)
    return times
  }
  const samples = { report: [], blank: [] }
  measure(blank) // warm-up: the first start of a browser reads its files from disk
  for (let i = 0; i < n; i++) {
    for (const [name, file] of [
      ['blank', blank],
      ['report', probed],
    ]) {
      const t = measure(file)
      samples[name].push(t)
      verbose(`  ${name} ${i + 1}/${n}: first contentful paint ${fmtMs(t['first-contentful-paint'])}, load ${fmtMs(t.load)}`)
    }
  }
  const med = (name, key) => median(samples[name].map((t) => t[key]))
  const fcp = med('report', 'first-contentful-paint')
  const load = med('report', 'load')
  const blankFcp = med('blank', 'first-contentful-paint')
  log(
    `  Chromium (${n} runs each, medians): report first contentful paint ${fmtMs(fcp)}, load ${fmtMs(load)} · one-heading page ${fmtMs(blankFcp)}, load ${fmtMs(med('blank', 'load'))} · ratio ${(fcp / blankFcp).toFixed(2)}`,
  )
  return {
    name: 'report first contentful paint (Chromium)',
    value: fcp,
    target: NaN,
    unit: 'ms',
    detail: `load ${fmtMs(load)}; one-heading page ${fmtMs(blankFcp)} (ratio ${(fcp / blankFcp).toFixed(2)})`,
  }
}

/** Debian's chromium, installed with apt-get when missing (as .ci/run does); undefined when that fails. */
function ensureChromium(log) {
  const found = findChromium()
  if (found) return found
  log('  chromium not found: installing it with apt-get (as .ci/run does)')
  const sudo = process.getuid?.() === 0 ? '' : 'sudo '
  spawnSync('sh', ['-c', `${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`], { stdio: 'ignore' })
  const installed = findChromium()
  if (!installed) log('  could not install chromium: first paint not measured')
  return installed
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
