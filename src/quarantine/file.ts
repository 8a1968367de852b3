// The quarantine list: a committed JSON file naming tests whose failures must not fail the run.
// They keep running in their shuffled position and their real outcome is recorded; see
// docs/ARCHITECTURE.md (Quarantine) for how a failure is kept from failing the run.
//
// Read by the plugin (each run) and by `flakeseed quarantine` (add, list, remove). A file that
// cannot be read as a whole is refused as a whole, with one line naming file and line: the run
// then goes on without any quarantine, so a typo can never turn a failing run green.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { FlakeseedError, firstLine } from '../core/errors.js'
import { JsonSyntaxError, parseLocated } from '../core/located-json.js'
import type { TestPattern } from '../core/names.js'

export interface QuarantineEntry extends TestPattern {
  /** Why the test is quarantined (a ticket, a finding): shown wherever its failure is. */
  reason: string
  /** The day it was added (YYYY-MM-DD): `quarantine list` counts outcomes from then on. */
  added?: string
  /** Who added it, free text. */
  by?: string
  /** The last day it applies (YYYY-MM-DD); after it the test fails the run again. */
  until?: string
}

/** An entry as read, with the line it starts on. */
export interface ListedEntry extends QuarantineEntry {
  line: number
}

/** What names a quarantined test, and why, as the runner in each worker sees it. */
export type { QuarantineRule } from '../worker/context.js'

const FIELDS = ['test', 'contains', 'reason', 'added', 'by', 'until'] as const
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** A problem in the file, at a line. */
export class QuarantineFileError extends FlakeseedError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`flakeseed: ${file}:${line}: ${problem}`)
  }
}

/** `YYYY-MM-DD` naming a real day. */
export function isDate(text: string): boolean {
  const m = DATE.exec(text)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const day = new Date(Date.UTC(y, mo - 1, d))
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d
}

/** Today as YYYY-MM-DD in local time: `until` means the end of that day where the tests run. */
export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** Past its `until` day. */
export function isExpired(entry: QuarantineEntry, day = today()): boolean {
  return entry.until !== undefined && entry.until < day
}

/** The entry's pattern as people read it: the id, or `…part…`. */
export function patternText(entry: TestPattern): string {
  return entry.test ?? `*${entry.contains}*`
}

/**
 * The entries of a quarantine file's text. `file` names it in errors (as the user should see
 * it). Throws a QuarantineFileError for anything but a well-formed list.
 */
export function parseQuarantineFile(text: string, file: string): ListedEntry[] {
  let json: ReturnType<typeof parseLocated>
  try {
    json = parseLocated(text)
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new QuarantineFileError(file, error.line, `not valid JSON: ${error.message}`)
    throw error
  }
  const root = json.value
  const bad = (line: number, problem: string): never => {
    throw new QuarantineFileError(file, line, problem)
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return bad(1, 'must hold an object: { "tests": [ … ] }')
  for (const key of Object.keys(root)) if (key !== 'tests') bad(json.lineOf(root, key), `unknown field ${JSON.stringify(key)} (the file holds only "tests")`)
  const tests = (root as { tests?: unknown }).tests
  if (!Array.isArray(tests)) return bad(json.lineOf(root, 'tests'), '"tests" must be a list of entries: [ { "test": …, "reason": … } ]')
  return tests.map((item, i): ListedEntry => {
    const line = json.lineOf(tests, i)
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return bad(line, 'an entry must be an object with "test" (or "contains") and "reason"')
    const record = item as Record<string, unknown>
    const at = (key: string) => json.lineOf(item, key)
    for (const key of Object.keys(record)) {
      if (!(FIELDS as readonly string[]).includes(key))
        bad(at(key), `unknown field ${JSON.stringify(key)} (an entry has ${FIELDS.map((f) => `"${f}"`).join(', ')})`)
      if (typeof record[key] !== 'string') bad(at(key), `"${key}" must be a string, got ${JSON.stringify(record[key])}`)
    }
    const entry = record as unknown as QuarantineEntry
    if ((entry.test === undefined) === (entry.contains === undefined)) {
      bad(line, 'an entry needs exactly one of "test" (an exact test id) and "contains" (a part of test ids)')
    }
    if (entry.test === '' || entry.contains === '') bad(at(entry.test === '' ? 'test' : 'contains'), 'the test id must not be empty')
    if (entry.reason === undefined || entry.reason.trim() === '') bad(entry.reason === undefined ? line : at('reason'), 'every entry needs a "reason"')
    for (const key of ['added', 'until'] as const) {
      const value = entry[key]
      if (value !== undefined && !isDate(value)) bad(at(key), `"${key}" must be a date YYYY-MM-DD, got "${value}"`)
    }
    return { ...pick(entry), line }
  })
}

/** Reads the list at `path`: no file is an empty list. `file` names it in errors. */
export function readQuarantine(path: string, file = path): ListedEntry[] {
  if (!existsSync(path)) return []
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new QuarantineFileError(file, 1, `cannot be read: ${firstLine(error)}`)
  }
  return parseQuarantineFile(text, file)
}

/** Writes the list, fields in a fixed order, two-space indented: diffs stay readable in review. */
export function writeQuarantine(path: string, entries: readonly QuarantineEntry[]): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, formatQuarantine(entries))
}

export function formatQuarantine(entries: readonly QuarantineEntry[]): string {
  return `${JSON.stringify({ tests: entries.map(pick) }, null, 2)}\n`
}

function pick(entry: QuarantineEntry): QuarantineEntry {
  const out: Record<string, string> = {}
  for (const key of FIELDS) if (entry[key] !== undefined) out[key] = entry[key]
  return out as unknown as QuarantineEntry
}
