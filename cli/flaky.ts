import { type PatchNote, patchNotes } from '../src/fix-session/ready.js'
import { analyse, executionKeys, type FlakyRow, otherRunsText } from '../src/analysis/flakiness.js'
import { type Suspect, shownSuspects, wantsSuspects } from '../src/analysis/suspects.js'
import { causeText, fixText, percent, plural, shortSha, suspectText, visible } from '../src/core/format.js'
import { flakyWindow } from '../src/store/flaky.js'
import { causeBlock, causeGroups } from '../src/analysis/causes.js'
import { suspectTallies } from '../src/store/suspects.js'
import { commandOptions, leftOutLine, openStore, outputWidth, parseSince, printJson, shortId, table, type CommonOptions, wrap } from './common.js'

export interface Options extends CommonOptions {
  window?: number
  since?: string
  branch?: string
  maxRunFailureRate: number
  minRuns: number
  includeRetries?: boolean
}

export function flaky(options: Options): number {
  const since = options.since === undefined ? undefined : parseSince(options.since)
  const store = openStore(options)
  let window: ReturnType<typeof flakyWindow>
  let rows: FlakyRow[]
  const suspects = new Map<string, Suspect[]>()
  let patches: Map<string, PatchNote>
  try {
    window = flakyWindow(store, {
      window: options.window,
      since,
      branch: options.branch,
      maxRunFailureRate: options.maxRunFailureRate,
      orderKeys: executionKeys,
      // A row shows its last failure's error, and no other.
      errors: 'last',
    })
    // One history at a time: memory holds the rows, not every outcome of the window.
    rows = analyse(window.eachHistory(), { ...commandOptions(options), minRuns: options.minRuns })
    // Only for the rows shown, and of those only where statistics can add something.
    const wanted = rows.filter(wantsSuspects).map((r) => r.test)
    const tallies = suspectTallies(
      store,
      wanted,
      window.runs.filter((r) => !r.leftOut).map((r) => r.runs),
      window.rows,
    )
    for (const [test, tally] of tallies) suspects.set(test, shownSuspects(tally))
    patches = patchNotes(store, commandOptions(options))
  } finally {
    store.close()
  }
  if (options.json) {
    printJson(rows.map((r) => ({ ...toJson(r, r.finding ? undefined : (suspects.get(r.test) ?? [])), ...patchJson(patches.get(r.test)) })))
    return 0
  }
  const runs = window.runs
  if (!runs.length) {
    console.log('no runs in the window')
    return 0
  }
  const commits = new Set(runs.map((r) => r.commit).filter(Boolean)).size
  const span = runs.length === 1 ? `run ${runs[0]!.id}` : `runs ${runs[0]!.id}–${runs.at(-1)!.id}`
  // A run of part of the suite is in the window, but not among the seeds: say how many there are.
  const partial = runs.filter((r) => r.partial && !r.leftOut).length
  const parts = partial ? `, ${partial} of part of the suite` : ''
  const scope = `${plural(runs.length, 'run')} (${span}${commits ? `, ${plural(commits, 'commit')}` : ''}${parts}${options.branch ? `, branch ${options.branch}` : ''})`
  const leftOut = leftOutLine(
    runs.filter((r) => r.leftOut),
    window.maxRunFailureRate,
  )
  if (!rows.length) {
    console.log(`no flaky tests in the last ${scope}`)
    if (leftOut) console.log(leftOut)
    return 0
  }
  console.log(`${plural(rows.length, 'flaky test')} in the last ${scope}, most disruptive first`)
  if (leftOut) console.log(leftOut)
  for (const line of causeLines(rows)) console.log(line)
  console.log(`\n${formatTable(rows, { retries: options.includeRetries, suspects, patches })}`)
  return 0
}

/** `patch`: a verified patch `fix` stored for the test, and whether its files still take it. */
function patchJson(note: PatchNote | undefined) {
  return note ? { patch: { run: note.run, remedy: note.summary, state: note.state, ...(note.apply ? { apply: note.apply } : {}) } } : {}
}

/** One row as `flaky --json` gives it (docs/ARCHITECTURE.md, `flaky --json`). */
function toJson(r: FlakyRow, suspects: Suspect[] | undefined) {
  return {
    test: r.test,
    runs: r.runs,
    failures: r.failures,
    // Fewer outcomes than --min-runs: no rate.
    failRate: r.rated ? r.failRate : null,
    flipRate: r.rated ? r.flipRate : null,
    entropy: r.rated ? r.entropy : null,
    retriedRuns: r.retriedRuns,
    retries: r.retries,
    quarantinedFailures: r.quarantinedFailures,
    otherRuns: r.otherRuns,
    failingSeeds: r.failingSeeds,
    passingSeeds: r.passingSeeds,
    class: r.class,
    reason: r.reason,
    commits: r.commits,
    lastFailure: r.lastFailure && {
      run: r.lastFailure.run,
      seed: r.lastFailure.seed,
      commit: r.lastFailure.commit,
      startedAt: r.lastFailure.startedAt === null ? null : new Date(r.lastFailure.startedAt).toISOString(),
      error: r.lastFailure.error,
    },
    command: r.command,
    ...(r.finding?.kind === 'victim' ? { polluters: r.finding.polluters } : {}),
    ...(r.finding?.leaks?.length ? { leaks: r.finding.leaks } : {}),
    ...(r.finding?.fix ? { fix: r.finding.fix } : {}),
    ...(suspects ? { suspects } : {}),
  }
}

/** Victims that share their polluters, under their cause: one fix, not one bisect each. Ids whole. */
export function causeLines(rows: readonly FlakyRow[]): string[] {
  const lines: string[] = []
  for (const group of causeGroups(rows)) lines.push('', ...causeBlock(group))
  return lines
}

/**
 * One table row per test, then why it has its class (with bisect's finding, or else the suspects
 * from the history), its last failure and seeds, then the command to run next. `retries` adds
 * two columns: runs that passed only on a retry, and retries in all.
 */
export function formatTable(
  rows: readonly FlakyRow[],
  options: { retries?: boolean; suspects?: ReadonlyMap<string, readonly Suspect[]>; width?: number; patches?: ReadonlyMap<string, PatchNote> } = {},
): string {
  const suspects = options.suspects ?? new Map<string, readonly Suspect[]>()
  const width = options.width ?? outputWidth()
  const cells = [['fails', 'rate', 'flip', 'entropy', ...(options.retries ? ['retried', 'retries'] : []), 'class', 'test']]
  for (const r of rows) {
    const rate = (text: string) => (r.rated ? text : '-')
    cells.push([
      `${r.failures}/${r.runs}`,
      rate(percent(r.failRate)),
      rate(percent(r.flipRate)),
      rate(r.entropy.toFixed(2)),
      ...(options.retries ? [String(r.retriedRuns), String(r.retries)] : []),
      r.class,
      '',
    ])
  }
  const lines = table(cells).split('\n')
  const testColumn = lines[0]!.indexOf('test')
  const out = [lines[0]!]
  const detail = (text: string) => out.push(...wrap(text, width, '      '))
  rows.forEach((r, i) => {
    // The test's own name is kept, the path shortened (shortId); a shortened id is given whole
    // below its row. Control characters are shown, not obeyed: a newline in a title would start a
    // line that belongs to no row.
    const id = visible(r.test)
    const cell = shortId(id, width - testColumn)
    out.push(`${lines[i + 1]!.padEnd(testColumn)}${cell}`)
    if (cell !== id) out.push(`      ${id}`)
    const last = r.lastFailure
    // Wrapped, never cut: a reason names tests (polluters, state setters) that may differ only at their end.
    detail(visible(r.reason))
    // The cause and the cure bisect verified, whole: they say what to change.
    const cause = causeText(r.finding?.leaks)
    if (cause) out.push(`      leaked ${visible(cause)}`)
    if (r.finding?.fix) out.push(`      fix: ${visible(fixText(r.finding.fix, r.finding.kind))}`)
    // A verified patch whose files still hold the bytes it was verified on: the command writes it.
    const patch = options.patches?.get(r.test)
    if (patch?.apply) out.push(`      patch ready: ${patch.apply}`)
    else if (patch?.state === 'applied') out.push(`      patch applied (verified in run ${patch.run})`)
    // Whole, like the command: a suspect's id is there to be read and bisected.
    for (const s of suspects.get(r.test) ?? []) out.push(`      suspect: ${visible(suspectText(s))} (statistical)`)
    if (r.quarantinedFailures) detail(`${plural(r.quarantinedFailures, 'failure')} while quarantined (did not fail the run)`)
    if (last) detail(`last failure: run ${last.run} · seed ${visible(last.seed)}${last.commit ? ` · commit ${shortSha(last.commit)}` : ''}`)
    const failed = seeds('failed under', r.failingSeeds, Math.max(44, Math.floor((width - 9) / 2)))
    out.push(`      ${failed} · ${seeds('passed under', r.passingSeeds, width - 6 - failed.length - 3)}`)
    const other = otherRunsText(r.otherRuns)
    if (other) detail(other)
    // The command stays whole, whatever its length: it is there to be copied.
    out.push(`      next: ${r.command}`)
  })
  return out.join('\n')
}

/**
 * `failed under 3 seeds: 12 7 …` within `room` characters, each seed `visible`: only those that
 * fit are made so (a long window's row has a thousand).
 */
function seeds(label: string, list: readonly string[], room: number): string {
  let text = `${label} ${list.length} seed${list.length === 1 ? '' : 's'}`
  if (!list.length) return text
  text += ':'
  for (const [i, raw] of list.entries()) {
    const seed = visible(raw)
    const more = i < list.length - 1 ? ' …' : ''
    if (text.length + 1 + seed.length + more.length > room) return i ? `${text} …` : text.slice(0, -1)
    text += ` ${seed}`
  }
  return text
}
