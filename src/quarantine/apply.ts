// What the quarantine is for one run: the listed entries still in effect, the tests an `auto`
// policy adds from the history, and the lines the run prints about them. Worked out once in the
// main process when the session starts; the runner in every worker gets the rules.
import { isAbsolute, relative, resolve } from 'node:path'
import { someOf, visible } from '../core/format.js'
import type { ResolvedOptions } from '../plugin/options.js'
import type { AddAuto } from './auto.js'
import { isExpired, patternText, QuarantineFileError, type QuarantineRule, readQuarantine, today } from './file.js'
import { firstLine } from '../core/errors.js'

export interface RunQuarantine {
  rules: QuarantineRule[]
  /** Printed when the run starts: problems (`flakeseed: …`, a warning) and what `auto` added. */
  warnings: string[]
  notes: string[]
}

/** Names listed in one line before it is cut. */
export const LISTED = 10

/**
 * The quarantine for a run rooted at `root`, recording into `db` (the history `auto` reads).
 * `addAuto` (src/quarantine/auto.ts) is loaded by the caller only when `options.auto` names
 * classes: its history readers are no part of a run that does not ask for them.
 * Never throws: whatever goes wrong is a warning, and the run goes on without what failed.
 */
export function runQuarantine(
  options: ResolvedOptions['quarantine'],
  root: string,
  db: { path: string; timeout: number } | false,
  addAuto: AddAuto | undefined,
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
  if (options.auto.length && db !== false) addAuto?.(result, options.auto, db)
  return result
}

function pattern(e: { test?: string; contains?: string }): { test: string } | { contains: string } {
  return e.test !== undefined ? { test: e.test } : { contains: e.contains! }
}

/** A path as the user gave it, relative to where they are when it is inside. */
function display(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}
