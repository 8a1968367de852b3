// Small text helpers every output (console, CLI tables, job summary, HTML report) shares.

/** A commit as people read it: its first 8 hex digits, or `none` when there is no commit. */
export function shortSha(sha: string | null | undefined, none = '-'): string {
  return sha ? sha.slice(0, 8) : none
}

/** `0.25` as `25%`. */
export function percent(x: number): string {
  return `${Math.round(x * 100)}%`
}

/** `1 run`, `2 runs`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}

/** The distinct items, in first-seen order. */
export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)]
}

/** `env process.env.SHOP_CURRENCY: (unset) → 'EUR'` */
export function leakText(leak: { kind: string; what: string; before: string; after: string }): string {
  if (leak.kind === 'scope') return `scope ${leak.what}`
  return `${leak.kind} ${leak.what}: ${leak.before} → ${leak.after}`
}

/** A leak as the probes left it: verified alone, verified with others, ruled out, or not checked. */
type Claimed = { kind?: string; verified: boolean; together?: boolean; ruledOut?: string }

/**
 * What the probes showed of one leak, worded the same in every output (DESIGN.md, Claims):
 * `verified` only for a leak undone alone; a group undone together says so.
 */
export function leakClaim(leak: Claimed, kind?: string): string {
  const brittle = kind === 'brittle'
  if (leak.kind === 'scope') return 'read from the test file, not checked by a probe: no probe can undo a variable of the file'
  if (leak.verified) return brittle ? 'verified: it fails when that is undone' : 'verified: the victim passes when it is restored'
  if (leak.together)
    return `verified together: one or more of these (${brittle ? 'it fails when they are undone together' : 'the victim passes when they are restored together'})`
  if (leak.ruledOut === 'cause-alone') return 'also left behind, not needed: undoing the cause alone was enough'
  if (leak.ruledOut === 'no-change') return 'also left behind, not the cause: undoing every leak together changed nothing'
  return 'also left behind, not checked'
}

/** The cause in one line, when probes found one: the verified leak, or the group verified together. */
export function causeText(leaks: ReadonlyArray<Claimed & { kind: string; what: string; before: string; after: string }> | undefined): string | undefined {
  const verified = leaks?.find((l) => l.verified)
  if (verified) return leakText(verified)
  const group = leaks?.filter((l) => l.together) ?? []
  return group.length ? `${group.map(leakText).join('; ')} (verified together: one or more of these)` : undefined
}

const CHECKED: Record<string, string> = {
  'config-rerun': 'verified: the victim passes in a rerun with it',
  'undo-rerun': 'verified by undoing the leak',
  cleaner: 'verified: the victim passes with it run in between',
}

/**
 * The fix and how it was checked, in one sentence: `save process.env.X before each test and put it
 * back after in describe 'shop' of test/shop.test.ts; verified by undoing the leak, not by running
 * this code (flakeseed fix checks the code as a patch)`. For a brittle test (`kind`), undoing what
 * its state setter set made it fail. `on`: the victim it was verified on, when it names a group's fix.
 * The one wording of bisect, flaky, the HTML report, the job summary and the cause groups.
 */
export function fixText(fix: { suggestion: string; verified: boolean; how?: string; remedy?: string }, kind?: string, on?: string): string {
  if (!fix.verified) return `${fix.suggestion}; not verified`
  const undo = fix.how === 'undo-rerun'
  const checked = kind === 'brittle' && undo ? 'verified: it fails when that is undone' : (CHECKED[fix.how ?? ''] ?? 'verified')
  const where = on ? checked.replace(/^verified:?/, `verified on ${on}${undo ? '' : ':'}`) : checked
  // The undo probe put the state back itself: what it verified is the cause, not the code said here.
  if (!undo) return `${fix.suggestion}; ${where}`
  return `${fix.suggestion}; ${where}, not by running this code${fix.remedy ? ' (flakeseed fix checks the code as a patch)' : ''}`
}

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * Control characters written as escapes (`\n`, `\t`, `\x1b`), so that a test id holding one
 * stays on its own line of a table and cannot move the cursor. For display only: JSON and
 * printed commands keep the exact id.
 */
export function visible(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** A non-negative decimal as typed (`120`, `1.5`, `.5`, `1e3`): the number, or undefined. One rule for every number option. */
export function parseDecimal(text: string): number | undefined {
  return /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : undefined
}

/**
 * `2 runs left out: more than 50% of their tests failed (runs 4 (80%), 7 (100%))`: the runs a
 * window leaves out, as `flaky`, `report` and the HTML report say it. `scope` follows "left out"
 * (` of rates and classes`); `note` follows the ids inside the parentheses.
 */
export function leftOutRuns(ids: readonly string[], rate: number, options: { scope?: string; note?: string } = {}): string {
  const one = ids.length === 1
  const note = options.note ? `; ${options.note}` : ''
  return `${one ? '1 run' : `${ids.length} runs`} left out${options.scope ?? ''}: more than ${percent(rate)} of ${one ? 'its' : 'their'} tests failed (${one ? 'run' : 'runs'} ${ids.join(', ')}${note})`
}

/** At most `max` items, then `and N more`: a list that fits one line of a message. */
export function someOf(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}

/** A suspect from the history, as `suspectText` and the HTML report show it. */
export interface SuspectCounts {
  test: string
  role: 'polluter' | 'state-setter'
  before: { failing: number; passing: number }
  runs: { failing: number; passing: number }
}

/** `before it in 5/5 failing runs, 1/9 passing`: the count that makes it a suspect first (a state setter's passing runs). */
export function suspectCounts(s: SuspectCounts): string {
  const failing = `${s.before.failing}/${s.runs.failing}`
  const passing = `${s.before.passing}/${s.runs.passing}`
  return s.role === 'polluter'
    ? `before it in ${failing} failing runs, ${passing} passing`
    : `state setter: before it in ${passing} passing runs, ${failing} failing`
}

/** `test/a.test.ts > polluter — before it in 5/5 failing runs, 1/9 passing`. */
export function suspectText(s: SuspectCounts): string {
  return `${s.test} — ${suspectCounts(s)}`
}
