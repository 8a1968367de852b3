// The HTML report: one self-contained file that opens offline. The health chart is inline SVG
// drawn here (a bar per run): it needs no library and renders before any script runs. A history
// of thousands of flaky tests would make a page of tens of megabytes if every test carried every
// detail, so the page carries the top N tests in full (table row, timeline, details; N shown and
// set by `--top`) and the rest as a compact list. A timeline is one letter per run in an attribute
// (`data-t`), painted onto a canvas by the page's script, with the run's tooltip computed on hover
// from one shared table of the window's runs: a few bytes per cell, not a DOM node each.
//
// Everything that comes from the history (test names, errors, paths, seeds, commands) goes
// through `esc`, in text and in attributes alike: a test named `<script>` shows as text.
import { type FlakyClass, otherRunsText } from '../analysis/flakiness.js'
import { DEFAULT_TOP } from '../core/defaults.js'
import { fixText, leakClaim, leakText, leftOutRuns, percent, plural, shortSha, suspectCounts, unique } from '../core/format.js'
import type { Suspect } from '../analysis/suspects.js'
import type { WindowRun } from '../store/flaky.js'
import { causeGroups, causeHeader, fixLine } from '../analysis/causes.js'
import type { ReportData, ReportTest } from './data.js'

const CLASS_LABEL: Record<FlakyClass, string> = {
  'order-dependent': 'order-dependent',
  brittle: 'brittle',
  'suspected-order-dependent': 'suspected order-dependent',
  'non-deterministic': 'non-deterministic',
  broken: 'broken',
  failing: 'failing (never alone yet)',
  fixed: 'fixed',
  suspected: 'suspected (too few runs)',
}

export function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** One letter per timeline cell (`data-t`), and the CSS class the page paints it with. */
export const CELL_CODES = { pass: 'p', retry: 'r', fail: 'f', quarantined: 'q', skip: 's', out: 'o' } as const
export type CellState = keyof typeof CELL_CODES

export function renderReport(data: ReportData): string {
  const { runs, tests: all } = data
  const top = Math.max(0, data.top ?? DEFAULT_TOP)
  const tests = all.slice(0, top)
  const rest = all.slice(top)
  const first = runs[0]
  const last = runs.at(-1)
  const commits = new Set(runs.map((r) => r.commit).filter(Boolean)).size
  const failedRuns = runs.filter((r) => r.failed > 0).length
  const byClass = new Map<string, number>()
  for (const t of all) byClass.set(t.row.class, (byClass.get(t.row.class) ?? 0) + 1)
  const scope = first && last ? `runs ${first.id}–${last.id} · ${fmtTime(first.startedAt)} to ${fmtTime(last.startedAt)}` : 'no runs'
  const leftOut = runs.filter((r) => r.leftOut)

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>flakeseed report</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>flakeseed <span>flakiness report</span></h1>
  <p class="meta">${esc(scope)} · ${commits} commit${commits === 1 ? '' : 's'} · history <code>${esc(data.db)}</code> · generated ${esc(fmtTime(data.generatedAt))}</p>
</header>
<section class="cards">
  ${card(String(runs.length), 'runs')}
  ${card(String(failedRuns), 'runs with failures', failedRuns ? 'bad' : 'good')}
  ${card(String(all.length), 'flaky tests', all.length ? 'bad' : 'good')}
  ${[...byClass].map(([cls, n]) => card(String(n), CLASS_LABEL[cls as FlakyClass], `c-${cls}`)).join('\n  ')}
</section>
<section>
  <h2>Suite health</h2>
  <p class="hint">One bar per run, oldest left: failed tests (red, scale left) over the run's outcome. Hover a bar for seed, commit and counts.</p>
  ${healthChart(runs, data.maxRunFailureRate)}
  ${leftOut.length ? `<p class="left-out">${esc(leftOutText(leftOut, data.maxRunFailureRate))}</p>` : ''}
</section>
${causeSection(all, tests.length)}<section>
  <h2>Flakiest tests</h2>
  <p class="hint">Most disruptive first (fail rate, a fixed test last; then flip rate). Timeline: one cell per run, <i class="sw pass"></i> passed, <i class="sw retry"></i> passed on a retry, <i class="sw fail"></i> failed, <i class="sw quarantined"></i> failed while quarantined (did not fail the run), <i class="sw skip"></i> skipped or not run, <i class="sw out"></i> run left out; the band under each cell is the run's seed (same colour, same seed). Hover a cell for its run. Click a row for details.</p>
  ${all.length ? `<p class="shown" id="shown">${esc(shownText(tests.length, all.length))}</p>` : ''}
  ${all.length ? `<input id="filter" type="search" placeholder="filter tests" aria-label="filter tests">` : ''}
  ${all.length ? flakyTable(tests, runs) : '<p class="empty">No test had mixed outcomes in these runs.</p>'}
  ${rest.length ? restList(rest, tests.length) : ''}
</section>
${tests.length ? `<section>\n  <h2>Details</h2>\n  ${tests.map((t, i) => detail(t, i)).join('\n  ')}\n</section>` : ''}
${runTable(runs)}
<footer>flakeseed · open offline: no network, no external files</footer>
<script>${SCRIPT}</script>
</body>
</html>
`
}

/** Victims that share their polluters, under their cause (each victim links to its details); empty when none do. */
function causeSection(tests: readonly ReportTest[], full: number): string {
  const groups = causeGroups(tests.map((t) => ({ test: t.row.test, finding: t.finding })))
  if (!groups.length) return ''
  // Only the tests shown in full have details to link to.
  const index = new Map(tests.slice(0, full).map((t, i) => [t.row.test, i]))
  const victim = (v: string) => {
    const i = index.get(v)
    return i === undefined ? `<li>victim <code>${esc(v)}</code></li>` : `<li>victim <a href="#d${i}"><code>${esc(v)}</code></a></li>`
  }
  const group = (g: (typeof groups)[number]) =>
    `<div class="cause"><h3>${esc(causeHeader(g))}</h3><ul>${[
      ...g.polluters.map((p) => `<li>polluter <code>${esc(p)}</code></li>`),
      ...g.victims.map(victim),
      ...(g.fix ? [`<li>fix: ${esc(fixLine(g.fix))}</li>`] : []),
    ].join('')}</ul></div>`
  return `<section>
  <h2>One cause, many victims</h2>
  <p class="hint">Tests that fail after the same polluters and pass alone (each checked by a probe): one cause to fix, not one bisect each.</p>
  ${groups.map(group).join('\n  ')}
</section>
`
}

function card(value: string, label: string, kind = ''): string {
  return `<div class="card ${esc(kind)}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`
}

/** `2 runs left out of rates and classes: more than 50% of their tests failed (runs 4, 7)`. */
export function leftOutText(runs: readonly WindowRun[], rate: number): string {
  const ids = runs.map((r) => `${runName(r).replace(/^runs? /, '')} (${percent(r.failed / (r.passed + r.failed))})`)
  return leftOutRuns(ids, rate, { scope: ' of rates and classes' })
}

function healthChart(runs: readonly WindowRun[], rate: number): string {
  if (!runs.length) return '<p class="empty">No runs recorded in this window.</p>'
  const w = 900
  const h = 180
  const left = 36
  const bottom = 28
  const top = 10
  const step = (w - left - 8) / runs.length
  const bar = Math.min(28, Math.max(1, step * 0.8))
  const maxFailed = Math.max(1, ...runs.map((r) => r.failed))
  const plotH = h - top - bottom - 10
  const y = (v: number) => top + plotH - (v / maxFailed) * plotH
  const parts: string[] = []
  // Axis and grid: 0, half, max failures.
  for (const v of unique([0, Math.round(maxFailed / 2), maxFailed])) {
    parts.push(`<line class="grid" x1="${left}" x2="${w - 4}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`)
    parts.push(`<text class="axis" x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`)
  }
  runs.forEach((r, i) => {
    const x = left + i * step + (step - bar) / 2
    const out = r.leftOut ? `\nleft out of rates and classes: more than ${percent(rate)} of its tests failed` : ''
    const tip = `${runName(r)} · seed ${r.seed} · ${shortSha(r.commit, 'no commit')}${r.branch ? ` (${r.branch})` : ''} · ${fmtTime(r.startedAt)}\n${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped · ${r.status}${out}`
    const status = r.leftOut ? 'out' : r.failed ? 'fail' : r.status === 'passed' ? 'pass' : 'skip'
    parts.push(
      `<g class="run${r.leftOut ? ' left-out' : ''}"><title>${esc(tip)}</title>` +
        `<rect class="hit" x="${(left + i * step).toFixed(1)}" y="${top}" width="${step.toFixed(1)}" height="${h - top}"/>` +
        (r.failed
          ? `<rect class="fail" x="${x.toFixed(1)}" y="${y(r.failed).toFixed(1)}" width="${bar.toFixed(1)}" height="${(y(0) - y(r.failed)).toFixed(1)}"/>`
          : '') +
        `<rect class="${status}" x="${x.toFixed(1)}" y="${(h - bottom + 2).toFixed(1)}" width="${bar.toFixed(1)}" height="8"/></g>`,
    )
  })
  // Run ids under the strip: first, last and a few between.
  const every = Math.max(1, Math.ceil(runs.length / 10))
  runs.forEach((r, i) => {
    if (i % every && i !== runs.length - 1) return
    parts.push(`<text class="axis" x="${(left + i * step + step / 2).toFixed(1)}" y="${h - 4}" text-anchor="middle">${r.id}</text>`)
  })
  return `<svg class="chart" id="health" viewBox="0 0 ${w} ${h}" role="img" aria-label="failed tests per run">${parts.join('')}</svg>`
}

/** `Top 50 of 1,204 flaky tests in full; the other 1,154 in a compact list below (--top N shows more or fewer).` */
export function shownText(shown: number, total: number): string {
  if (shown >= total) return `${plural(total, 'flaky test')}, all in full.`
  return `Top ${shown} of ${total} flaky tests in full; the other ${total - shown} in a compact list below (--top N shows more or fewer).`
}

function rateCells(r: ReportTest['row']): string {
  const rate = (x: string) => (r.rated ? x : '–')
  return `<td class="num">${rate(percent(r.failRate))}</td><td class="num">${rate(percent(r.flipRate))}</td><td class="num">${rate(r.entropy.toFixed(2))}</td><td class="num">${r.failures}/${r.runs}</td>`
}

function flakyTable(tests: readonly ReportTest[], runs: readonly WindowRun[]): string {
  const head = `<tr><th>#</th><th>test</th><th>class</th><th class="num">fail</th><th class="num">flip</th><th class="num">entropy</th><th class="num">runs</th><th>timeline</th></tr>`
  const body = tests
    .map((t, i) => {
      const r = t.row
      const quarantined = r.quarantinedFailures ? ` <span class="badge quarantined">quarantined</span>` : ''
      return `<tr data-detail="d${i}" data-test="${esc(r.test.toLowerCase())}"><td class="num">${i + 1}</td><td class="test">${esc(r.test)}${quarantined}</td><td><span class="badge c-${esc(r.class)}">${esc(CLASS_LABEL[r.class])}</span></td>${rateCells(r)}<td>${timeline(t, runs)}</td></tr>`
    })
    .join('\n')
  return `<table id="flaky"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`
}

/** The tests after the top N: one line each (rank, name, class, numbers), no timeline or details. */
function restList(rest: readonly ReportTest[], offset: number): string {
  const rows = rest.map((t, i) => {
    const r = t.row
    return `<tr data-test="${esc(r.test.toLowerCase())}"><td class="num">${offset + i + 1}</td><td class="test">${esc(r.test)}</td><td><span class="badge c-${esc(r.class)}">${esc(CLASS_LABEL[r.class])}</span></td>${rateCells(r)}</tr>`
  })
  return `<details id="more"><summary>${esc(plural(rest.length, 'more flaky test'))} (compact: no timeline or details; run <code>flakeseed flaky</code> or <code>history</code> for one)</summary>
<table id="rest"><thead><tr><th>#</th><th>test</th><th>class</th><th class="num">fail</th><th class="num">flip</th><th class="num">entropy</th><th class="num">runs</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></details>`
}

/** Each timeline cell's state: what the test did in that run of the window, oldest first. */
export function timelineStates(t: ReportTest, runs: readonly WindowRun[]): Array<{ state: CellState; run?: number }> {
  const byRun = new Map(t.outcomes.map((o) => [o.run, o]))
  return runs.map((run) => {
    // A sharded run's test ran in one of its shards.
    const o = run.runs.map((id) => byRun.get(id)).find(Boolean)
    const state: CellState = run.leftOut ? 'out' : !o ? 'skip' : o.state === 'failed' ? (o.quarantined ? 'quarantined' : 'fail') : o.retried ? 'retry' : 'pass'
    return { state, run: o?.run }
  })
}

/**
 * A canvas the page's script paints: `data-t` one letter per run (CELL_CODES); for a window with
 * sharded runs, `data-r` the shard's run id per cell (empty where the test did not run), for the tooltip.
 */
function timeline(t: ReportTest, runs: readonly WindowRun[]): string {
  const cells = timelineStates(t, runs)
  const codes = cells.map((c) => CELL_CODES[c.state]).join('')
  const sharded = runs.some((r) => r.runs.length > 1)
  const shards = sharded ? ` data-r="${cells.map((c) => c.run ?? '').join(',')}"` : ''
  const w = runs.length * cellWidth(runs.length)
  return `<canvas class="strip" width="${w}" height="16" style="width:${w}px;height:16px" data-t="${codes}"${shards} role="img" aria-label="outcome per run: ${esc(describeCells(codes))}"></canvas>`
}

/** `12 passed, 3 failed, 1 skipped or not run`: the strip's text for those who cannot see it. */
function describeCells(codes: string): string {
  const words: Record<string, string> = {
    p: 'passed',
    r: 'passed on a retry',
    f: 'failed',
    q: 'failed while quarantined',
    s: 'skipped or not run',
    o: 'run left out',
  }
  const counts = new Map<string, number>()
  for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1)
  return [...counts].map(([c, n]) => `${n} ${words[c]}`).join(', ')
}

function cellWidth(runs: number): number {
  return Math.max(2, Math.min(14, Math.floor(400 / Math.max(1, runs))))
}

/**
 * The window's runs once, for the timelines' tooltips and seed bands: `[name, seed, commit, colour]`
 * per run, as JSON in an attribute (escaped like any text; read with JSON.parse, never as markup).
 */
function runTable(runs: readonly WindowRun[]): string {
  const rows = runs.map((r) => [runName(r), r.seed, shortSha(r.commit, 'no commit'), seedColour(r.seed), r.runs.length > 1 ? 1 : 0])
  return `<div id="runs" hidden data-cell="${cellWidth(runs.length)}" data-runs="${esc(JSON.stringify(rows))}"></div>`
}

/** `run 7`, or `runs 7+8+9 (3 shards)` for the shards of one build. */
function runName(r: WindowRun): string {
  return r.runs.length > 1 ? `runs ${r.runs.join('+')} (${r.runs.length} shards)` : `run ${r.id}`
}

function detail(t: ReportTest, i: number): string {
  const r = t.row
  const commits = new Map<string, { passed: number; failed: number }>()
  for (const o of t.outcomes) {
    if (o.evidence) continue
    const key = o.commit ?? '-'
    const c = commits.get(key) ?? { passed: 0, failed: 0 }
    c[o.state]++
    commits.set(key, c)
  }
  const errors = new Map<string, { count: number; last: number; full: string }>()
  for (const o of t.outcomes) {
    if (o.state !== 'failed') continue
    const key = (o.error ?? '(no error recorded)').split('\n')[0]!
    const e = errors.get(key) ?? { count: 0, last: 0, full: o.error ?? '' }
    e.count++
    e.last = o.run
    e.full = o.error ?? ''
    errors.set(key, e)
  }
  // Replays and runs of part of the suite: evidence beside the seeds, never counted as one.
  const other = t.row.otherRuns ? otherRunsText(t.row.otherRuns) : undefined
  const f = t.finding
  const finding = f
    ? `<h4>Finding (${esc(f.kind)}, run ${esc(f.runId ?? '-')}, ${esc(fmtTime(f.createdAt))}, ${esc(plural(f.probes, 'probe'))})</h4><ul>${[
        ...f.polluters.map((p) => `<li>polluter <code>${esc(p)}</code></li>`),
        ...f.stateSetters.map((p) => `<li>state setter <code>${esc(p)}</code></li>`),
        ...f.cleaners.map((p) => `<li>cleaner <code>${esc(p)}</code></li>`),
        ...(f.leaks ?? []).map(
          (l) => `<li>${l.verified || l.together ? 'leaked' : 'also'} <code>${esc(leakText(l))}</code> (${esc(leakClaim(l, f.kind))})</li>`,
        ),
        ...(f.fix ? [`<li>fix: ${esc(fixText(f.fix, f.kind))}</li>`] : []),
        ...(t.patch?.apply
          ? [
              `<li>patch ready: ${esc(t.patch.summary)} <code class="cmd">${esc(t.patch.apply)}</code> <button type="button" class="copy" data-copy="${esc(t.patch.apply)}">copy</button></li>`,
            ]
          : []),
        ...(t.patch?.state === 'applied' ? [`<li>patch applied (verified in run ${esc(t.patch.run)})</li>`] : []),
      ].join('')}</ul>${f.command ? `<p>reproduce: <code class="cmd">${esc(f.command)}</code></p>` : ''}`
    : `<p class="hint">No bisect finding yet.</p>${t.suspects.length ? suspectList(t.suspects) : ''}`
  // The most disruptive test opens with its details showing.
  return `<details id="d${i}"${i === 0 ? ' open' : ''}>
  <summary><span class="badge c-${esc(r.class)}">${esc(CLASS_LABEL[r.class])}</span> <span class="test">${esc(r.test)}</span></summary>
  <p>${esc(r.reason)}. ${esc(rates(r))}</p>
  <p>Next: <code class="cmd">${esc(r.command)}</code> <button type="button" class="copy" data-copy="${esc(r.command)}">copy</button></p>
  <div class="cols">
    <div><h4>Seeds</h4><p>failed under ${seedList(r.failingSeeds)}</p><p>passed under ${seedList(r.passingSeeds)}</p>${other ? `<p>${esc(other)}</p>` : ''}</div>
    <div><h4>Commits</h4><ul>${[...commits].map(([c, n]) => `<li><code>${esc(c === '-' ? 'no commit' : c.slice(0, 10))}</code> ${n.failed} failed, ${n.passed} passed</li>`).join('')}</ul></div>
  </div>
  <h4>Errors</h4>
  ${[...errors].map(([first, e]) => `<details class="err"><summary>${e.count}× <code>${esc(first)}</code> (last in run ${e.last})</summary><pre>${esc(e.full)}</pre></details>`).join('\n  ')}
  ${finding}
</details>`
}

/** The numbers of a row in words, and what they include. */
function rates(r: ReportTest['row']): string {
  const parts = [
    r.rated
      ? `Failed ${r.failures} of ${r.runs} runs (${percent(r.failRate)}), flip rate ${percent(r.flipRate)}, entropy ${r.entropy.toFixed(2)}.`
      : `Failed ${r.failures} of ${r.runs} runs: too few runs for a rate.`,
  ]
  if (r.retriedRuns) parts.push(`Passed only on a retry in ${r.retriedRuns} of them (${r.retries} retries in all).`)
  if (r.quarantinedFailures) parts.push(`${r.quarantinedFailures} of its failures came while it was quarantined and did not fail their run.`)
  return parts.join(' ')
}

/** Suspects from the history, marked as what they are: statistics, not a verified cause. */
function suspectList(suspects: readonly Suspect[]): string {
  const items = suspects.map((s) => `<li>suspect: <code>${esc(s.test)}</code>&nbsp;— ${esc(suspectCounts(s))}</li>`)
  return `<h4>Suspects (statistical, from the recorded orders; bisect verifies)</h4><ul class="suspects">${items.join('')}</ul>`
}

/** Seeds listed per test, the newest; a long window's earlier ones are counted (`flaky --json` lists every one). */
export const SEEDS_LISTED = 30

function seedList(seeds: readonly string[]): string {
  if (!seeds.length) return 'none'
  const listed = seeds.slice(-SEEDS_LISTED).map((s) => `<span class="seed" style="border-color:${seedColour(s)}">${esc(s)}</span>`)
  const earlier = seeds.length - listed.length
  return (earlier > 0 ? `${earlier} earlier seeds (<code>flakeseed flaky --json</code> lists every one), then ` : '') + listed.join(' ')
}

/** A stable hue per seed, so the runs of one seed share a colour in every strip. */
function seedColour(seed: string): string {
  let h = 2166136261
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619)
  // FNV alone leaves short seeds ("11", "12") on neighbouring hues: mix the bits (murmur3's finaliser).
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  h ^= h >>> 16
  return `hsl(${(h >>> 0) % 360} 65% 55%)`
}

function fmtTime(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`
}

const STYLE = `
:root { --bg:#fff; --fg:#1d2330; --muted:#667085; --line:#e4e7ec; --pass:#2e9e5b; --fail:#d92d20; --skip:#d0d5dd; --card:#f8f9fb;
  --od:#b54708; --sod:#dc6803; --nod:#7a5af8; --broken:#b42318; --fixed:#067647;
  --retry:#f5b000; --quarantined:#9e3f8f; --out:#98a2b3; --suspected:#667085; }
@media (prefers-color-scheme: dark) { :root { --bg:#11151c; --fg:#e6e9ef; --muted:#98a2b3; --line:#2b313c; --card:#181d26; --skip:#3a414d; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
h1 { margin: 0; font-size: 24px; } h1 span { color: var(--muted); font-weight: 400; }
h2 { margin: 28px 0 4px; font-size: 18px; } h4 { margin: 12px 0 4px; }
.meta, .hint, footer { color: var(--muted); } footer { margin-top: 32px; font-size: 12px; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--card); padding: 8px; overflow-x: auto; white-space: pre-wrap; border-radius: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 110px; }
.card b { display: block; font-size: 22px; } .card span { color: var(--muted); font-size: 12px; }
.card.bad b { color: var(--fail); } .card.good b { color: var(--pass); }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: var(--line); } .chart .axis { fill: var(--muted); font-size: 10px; }
.chart .hit { fill: transparent; } .chart .run:hover .hit { fill: var(--line); }
rect.pass { fill: var(--pass); } rect.fail { fill: var(--fail); } rect.skip { fill: var(--skip); }
rect.retry { fill: var(--retry); } rect.quarantined { fill: var(--quarantined); } rect.out { fill: var(--out); }
canvas.strip { display: block; } .shown { margin: 4px 0; } #more { margin-top: 12px; }
.sw { display: inline-block; width: 10px; height: 10px; vertical-align: -1px; } .sw.pass { background: var(--pass); } .sw.fail { background: var(--fail); } .sw.skip { background: var(--skip); }
.sw.retry { background: var(--retry); } .sw.quarantined { background: var(--quarantined); } .sw.out { background: var(--out); }
.left-out { color: var(--muted); border-left: 3px solid var(--out); padding-left: 8px; }
.badge.quarantined { background: var(--quarantined); }
table { border-collapse: collapse; width: 100%; margin-top: 8px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.test, .test { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-word; }
tbody tr { cursor: pointer; } tbody tr:hover { background: var(--card); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; color: #fff; white-space: nowrap; background: var(--muted); }
.c-order-dependent, .c-brittle { background: var(--od); } .c-suspected-order-dependent, .c-failing { background: var(--sod); } .c-non-deterministic { background: var(--nod); }
.c-broken { background: var(--broken); } .c-fixed { background: var(--fixed); } .c-suspected { background: var(--suspected); }
.card.c-order-dependent, .card.c-brittle, .card.c-suspected-order-dependent, .card.c-non-deterministic, .card.c-broken, .card.c-failing, .card.c-fixed, .card.c-suspected { color: #fff; }
.card[class*="c-"] span { color: #fff; opacity: .85; }
#filter { margin-top: 8px; padding: 6px 10px; width: 280px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
details { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
details > summary { cursor: pointer; } details.err { border: 0; padding: 2px 0; margin: 0; }
details:target, details.flash { outline: 2px solid var(--sod); }
.cols { display: flex; gap: 32px; flex-wrap: wrap; } .cols > div { min-width: 260px; }
ul { margin: 4px 0; padding-left: 18px; }
.seed { display: inline-block; border-bottom: 3px solid; padding: 0 3px; font-family: ui-monospace, monospace; font-size: 12px; }
.copy { font-size: 11px; border: 1px solid var(--line); background: var(--card); color: var(--fg); border-radius: 4px; cursor: pointer; }
.empty { color: var(--muted); font-style: italic; }
`

const SCRIPT = `
(function () {
  var filter = document.getElementById('filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#flaky tbody tr, #rest tbody tr'));
  var more = document.getElementById('more');
  if (filter) filter.addEventListener('input', function () {
    var q = filter.value.toLowerCase();
    rows.forEach(function (row) { row.hidden = q !== '' && row.getAttribute('data-test').indexOf(q) < 0; });
    if (more && q !== '') more.open = true;
  });
  rows.forEach(function (row) {
    if (!row.hasAttribute('data-detail')) return;
    row.addEventListener('click', function () {
      var d = document.getElementById(row.getAttribute('data-detail'));
      if (!d) return;
      d.open = true;
      d.scrollIntoView({ behavior: 'smooth', block: 'start' });
      d.classList.add('flash');
      setTimeout(function () { d.classList.remove('flash'); }, 1200);
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('button.copy'), function (button) {
    button.addEventListener('click', function () {
      var text = button.getAttribute('data-copy');
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { button.textContent = 'copied'; }, function () {});
    });
  });
  // Timelines: one letter per run in data-t, painted here; the tooltip is built on hover.
  var table = document.getElementById('runs');
  var runs = table ? JSON.parse(table.getAttribute('data-runs')) : [];
  var cell = table ? Number(table.getAttribute('data-cell')) : 4;
  var css = getComputedStyle(document.documentElement);
  var colours = {};
  var names = { p: 'pass', r: 'retry', f: 'fail', q: 'quarantined', s: 'skip', o: 'out' };
  Object.keys(names).forEach(function (c) { colours[c] = css.getPropertyValue('--' + names[c]).trim(); });
  var words = { p: 'passed', r: 'passed on a retry', f: 'failed', q: 'failed while quarantined (did not fail the run)', s: 'skipped or not run', o: 'run left out (most of its tests failed)' };
  var ratio = window.devicePixelRatio || 1;
  Array.prototype.forEach.call(document.querySelectorAll('canvas.strip'), function (canvas) {
    var codes = canvas.getAttribute('data-t');
    var shards = canvas.hasAttribute('data-r') ? canvas.getAttribute('data-r').split(',') : null;
    canvas.width = Math.round(codes.length * cell * ratio);
    canvas.height = Math.round(16 * ratio);
    var g = canvas.getContext('2d');
    if (!g) return;
    g.scale(ratio, ratio);
    var w = Math.max(1, cell - 1);
    for (var i = 0; i < codes.length; i++) {
      g.fillStyle = colours[codes[i]] || colours.s;
      g.fillRect(i * cell, 0, w, 12);
      if (runs[i]) { g.fillStyle = runs[i][3]; g.fillRect(i * cell, 13, w, 3); }
    }
    canvas.setAttribute('data-painted', String(codes.length));
    canvas.addEventListener('mousemove', function (event) {
      var i = Math.floor((event.clientX - canvas.getBoundingClientRect().left) / cell);
      var run = runs[i];
      if (!run || i >= codes.length) return;
      var name = shards && shards[i] && run[4] ? 'run ' + shards[i] + ' (shard of ' + run[0] + ')' : run[0];
      canvas.title = name + ' · seed ' + run[1] + ' · ' + run[2] + ' · ' + words[codes[i]];
    });
  });
  document.documentElement.setAttribute('data-ready', 'yes');
})();
`
