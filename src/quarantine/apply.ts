// What the quarantine is for one run: the listed entries still in effect, the tests an `auto`
// policy adds from the history, and the lines the run prints about them. Worked out once in the
// main process when the session starts; the runner in every worker gets the rules.
import { existsSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { analyse, executionKeys } from '../analysis/flakiness.js'
import { someOf, visible } from '../core/format.js'
import { matchesPattern } from '../core/names.js'
import type { AutoClass, ResolvedOptions } from '../plugin/options.js'
import { isExpired, patternText, QuarantineFileError, type QuarantineRule, readQuarantine, today } from './file.js'
import { flakyWindow } from '../store/flaky.js'
import { Store } from '../store/index.js'
import { firstLine } from '../core/errors.js'

export interface RunQuarantine {
  rules: QuarantineRule[]
  /** Printed when the run starts: problems (`flakeseed: …`, a warning) and what `auto` added. */
  warnings: string[]
  notes: string[]
}

/** Names listed in one line before it is cut. */
const LISTED = 10

/**
 * The quarantine for a run rooted at `root`, recording into `db` (the history `auto` reads).
 * Never throws: whatever goes wrong is a warning, and the run goes on without what failed.
 */
export function runQuarantine(
  options: ResolvedOptions['quarantine'],
  root: string,
  db: { path: string; timeout: number } | false,
  day = today(),
): RunQuarantine {
  const result: RunQuarantine = { rules: [], warnings: [], notes: [] }
  if (options.file !== false) {
    const path = resolve(root, options.file)
    const shown = display(path)
    try {
      const entries = readQuarantine(path, shown)
      const expired = entries.filter((e) => isExpired(e, day))
      for (const e of entries) if (!isExpired(e, day)) result.rules.push({ ...pattern(e), reason: e.reason })
      if (expired.length) {
        const names = expired.map((e) => `${visible(patternText(e))} (until ${e.until})`)
        result.warnings.push(
          `flakeseed: quarantine expired for ${expired.length === 1 ? '1 entry' : `${expired.length} entries`}, their failures fail the run again: ${someOf(names, LISTED)} (${shown}: remove them, or extend "until")`,
        )
      }
    } catch (error) {
      // A QuarantineFileError names the file and line; anything else still names the file.
      const message = error instanceof QuarantineFileError ? error.message : `flakeseed: ${shown}: cannot be read: ${firstLine(error)}`
      result.warnings.push(`${message}; the run goes on without the quarantine (its tests fail the run as any other)`)
    }
  }
  if (options.auto.length && db !== false) addAuto(result, options.auto, db)
  return result
}

/** Tests whose class in the history is one of `classes`, unless listed already. */
function addAuto(result: RunQuarantine, classes: readonly AutoClass[], db: { path: string; timeout: number }): void {
  if (!existsSync(db.path)) return
  let rows: ReturnType<typeof analyse>
  try {
    const store = Store.open(db.path, { readonly: true, timeout: db.timeout })
    try {
      rows = analyse(flakyWindow(store, { orderKeys: executionKeys }).histories)
    } finally {
      store.close()
    }
  } catch (error) {
    const message = firstLine(error).replace(/^flakeseed: /, '')
    result.warnings.push(`flakeseed: quarantine auto: cannot read the history (${message}); no test is quarantined by its class`)
    return
  }
  const listed = (id: string) => result.rules.some((r) => matchesPattern(r, id))
  // A brittle test (passes only after its state setter) is order-dependent: `auto` by that class takes it too.
  const auto = (cls: string) => (classes as readonly string[]).includes(cls === 'brittle' ? 'order-dependent' : cls)
  const added = rows.filter((r) => auto(r.class) && !listed(r.test))
  if (!added.length) return
  for (const r of added) result.rules.push({ test: r.test, reason: `auto: ${r.class}, ${r.reason}` })
  result.notes.push(
    `flakeseed quarantine auto (${classes.join(', ')}): ${added.length === 1 ? '1 test quarantined by its class' : `${added.length} tests quarantined by their class`} in the history: ${someOf(
      added.map((r) => `${visible(r.test)} (${r.class})`),
      LISTED,
    )}`,
  )
}

function pattern(e: { test?: string; contains?: string }): { test: string } | { contains: string } {
  return e.test !== undefined ? { test: e.test } : { contains: e.contains! }
}

/** A path as the user gave it, relative to where they are when it is inside. */
function display(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}
