// What every command shares: where the DB is, how errors and JSON leave the process.
import { resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { type CommandOptions, dbWords as commandDbWords, type Launcher, launcherFor } from '../src/core/commands.js'
import { DEFAULT_DB } from '../src/core/defaults.js'
import { FlakeseedError } from '../src/core/errors.js'
import { leftOutRuns, parseDecimal, percent } from '../src/core/format.js'
import { idOf } from '../src/core/names.js'
import { asStoreError, busyTimeout, isStoreError, Store } from '../src/store/index.js'
import { detectPackageManager } from '../src/project/package-manager.js'
import { readEnvironment } from '../src/plugin/environment.js'
import { checkBudget, MAX_BISECT_BUDGET, parseSeconds } from '../src/plugin/options.js'

export interface CommonOptions {
  db?: string
  json?: boolean
}

export const EXIT = { ok: 0, found: 1, usage: 2 } as const

/** The environment, read once for the command (`FLAKESEED_DB`, `COLUMNS`, the package manager's agent). */
export const ENV = readEnvironment()

/** Milliseconds a write waits for another process's lock on the history. */
export const DB_TIMEOUT = busyTimeout(ENV)

export function dbPath(options: CommonOptions): string {
  return resolve(options.db ?? (ENV.FLAKESEED_DB || DEFAULT_DB))
}

let launcher: Launcher | undefined

/**
 * What the commands a command prints share: `--db PATH` for the DB it read unless that is the
 * default one, and how they run flakeseed (`yarn` under Yarn Plug'n'Play, found once, from here).
 */
export function commandOptions(options: CommonOptions): CommandOptions {
  launcher ??= launcherFor(detectPackageManager(process.cwd(), ENV))
  return { db: commandDbWords(options.db), launcher }
}

/** The history the command opened last: a SQLite error while reading it names this file. */
let opened: string | undefined

export function openStore(options: CommonOptions): Store {
  return openHistory(dbPath(options), { readonly: true })
}

/** `Store.open`, remembering the file for `reportError`. */
export function openHistory(path: string, options: Parameters<typeof Store.open>[1] = {}): Store {
  opened = path
  return Store.open(path, { timeout: DB_TIMEOUT, ...options })
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/**
 * A usage mistake (bad option value, missing argument, unknown option) prints as one line on
 * stderr, like every other error: commander's message plus where to look, and no help dump.
 */
export function oneLineErrors(command: Command): Command {
  const names: string[] = []
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name())
  const help = ['flakeseed', ...names, '--help'].join(' ')
  return command.showHelpAfterError(false).configureOutput({
    outputError: (message, write) => {
      const line = message
        .trim()
        .split('\n')[0]!
        .replace(/^error: /, '')
      write(`flakeseed: ${line} (see ${help})\n`)
    },
  })
}

/**
 * The arguments of `command` with a lone word that starts with `-` and is none of its options
 * moved after `--`, so commander reads it as the argument it is: `history '-x.test.ts > t'`
 * names a test whose file starts with `-`. Only when the command got no other argument, so that
 * a mistyped option next to one is still reported as unknown.
 */
export function dashedArgument(command: Command, args: readonly string[]): string[] {
  const valued = new Set<string>()
  const flags = new Set<string>(['-h', '--help'])
  for (const option of command.options) {
    for (const name of [option.long, option.short]) if (name) (option.required || option.optional ? valued : flags).add(name)
  }
  const dashed: number[] = []
  let operands = 0
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!
    if (word === '--') return [...args]
    if (valued.has(word)) i++
    else if (flags.has(word) || valued.has(word.split('=')[0]!)) continue
    else if (word.startsWith('-') && word.length > 1) dashed.push(i)
    else operands++
  }
  if (operands || dashed.length !== 1) return [...args]
  return [...args.filter((_, i) => i !== dashed[0]), '--', args[dashed[0]!]!]
}

/** Matches named in the error for an ambiguous test argument. */
const SHOWN_MATCHES = 3

/**
 * The one recorded test a `<test>` argument names: its exact id, or the only test whose id
 * contains it. None, or several, is a user error naming a few of them.
 */
export function resolveTest(store: Store, query: string): string {
  const matches = store.findTests(query).map(idOf)
  if (matches.length === 1) return matches[0]!
  if (!matches.length) throw new FlakeseedError(`flakeseed: no recorded test matches "${query}"`)
  const shown = matches.sort().slice(0, SHOWN_MATCHES)
  const more = matches.length > shown.length ? `, and ${matches.length - shown.length} more` : ''
  throw new FlakeseedError(
    `flakeseed: "${query}" matches ${matches.length} recorded tests (${shown.map((m) => `"${m}"`).join(', ')}${more}): give one exact id`,
  )
}

/** A number of days above 0, fractions allowed (`0.5` is twelve hours). */
export function positiveDays(value: string): number {
  const days = parseDecimal(value)
  if (days === undefined || !(days > 0)) throw new InvalidArgumentError('must be a number of days above 0')
  return days
}

/** commander argument parser for a value that must not be empty (a seed). */
export function nonEmpty(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('must not be empty')
  return value
}

/** commander argument parser for a positive whole number. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number of at least 1')
  return Number(value)
}

/** commander argument parser for a whole number, 0 or more (`hunt --seeds`). */
export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number, 0 or more')
  return Number(value)
}

/** commander argument parser for a budget (`bisect --budget`, `hunt --budget`): seconds above 0, at most a day. */
export function budgetSeconds(value: string): number {
  const seconds = parseSeconds(value)
  const check = checkBudget(seconds)
  if (check === 'too-long') throw new InvalidArgumentError(`must be at most ${MAX_BISECT_BUDGET} seconds (24 h)`)
  if (check !== 'ok') throw new InvalidArgumentError('must be a number of seconds above 0')
  return seconds!
}

/** A share given in per cent (`50`, `50%`, `12.5`), above 0 and at most 100, as a fraction. */
export function percentage(value: string): number {
  const n = parseDecimal(value.trim().replace(/%$/, '')) ?? Number.NaN
  if (!(n > 0 && n <= 100)) throw new InvalidArgumentError('must be a percentage above 0 and at most 100 (e.g. 50 or 50%)')
  return n / 100
}

/** `2 runs left out: more than 50% of their tests failed (runs 4 (80%), 7 (100%))`, for `flaky` and `report`. */
export function leftOutLine(runs: ReadonlyArray<{ id: number; passed: number; failed: number }>, rate: number): string | undefined {
  if (!runs.length) return undefined
  const ids = runs.map((r) => `${r.id} (${percent(r.failed / (r.passed + r.failed))})`)
  return leftOutRuns(ids, rate, { note: '--max-run-failure-rate 100 keeps them' })
}

/** A `--since` value (a date or date-time) as ms since epoch; a user error otherwise. */
export function parseSince(value: string): number {
  const bad = () => new FlakeseedError(`flakeseed: --since "${value}" is not a date (use YYYY-MM-DD or an ISO date-time)`)
  const date = /^(\d{4})-(\d{2})-(\d{2})(?=$|T)/.exec(value)
  // Date.parse rolls 2024-02-30 over into March: the calendar date must exist as written.
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])]
    const utc = new Date(Date.UTC(year, month - 1, day))
    if (utc.getUTCFullYear() !== year || utc.getUTCMonth() !== month - 1 || utc.getUTCDate() !== day) throw bad()
  }
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(ms)) throw bad()
  return ms
}

/**
 * Errors the user can act on print as one line: flakeseed's own, and SQLite's about the history
 * (a damaged file, one that is not a history), named by file. Anything else is a bug and keeps
 * its stack.
 */
export function reportError(error: unknown): number {
  if (!(error instanceof FlakeseedError) && isStoreError(error)) error = asStoreError(error, opened ?? 'the history database', 'cannot read')
  if (error instanceof FlakeseedError) {
    process.stderr.write(`${error.message}\n`)
    return EXIT.usage
  }
  process.stderr.write(`flakeseed: internal error: ${(error as Error)?.stack ?? String(error)}\n`)
  return EXIT.usage
}

/** Pads columns to their widest cell; the last column is left ragged. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths: number[] = []
  for (const row of rows) for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length)
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function localTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 16)
}

/** Columns of the output: the terminal's, else `COLUMNS`, else 80 (a pipe or a file). */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns
  const columns = Number(ENV.COLUMNS)
  return Number.isInteger(columns) && columns > 0 ? columns : 80
}

/** Narrowest room a shortened id is squeezed into: below it the id is given whole on its own line anyway. */
const MIN_ID_ROOM = 12

/**
 * A test id in at most `room` columns, shortened where ids differ least: first the file's folders
 * (`…/devtools.test.tsx > name`), then the file (`… > name`), then the describe chain's start
 * (`…with redux middleware > name (2)`). The end of the name, the test's own title where ` (2)`
 * tells repeats apart, is the last thing cut.
 */
export function shortId(id: string, room: number): string {
  if (id.length <= room) return id
  const at = id.indexOf(' > ')
  const path = at < 0 ? '' : id.slice(0, at)
  const name = at < 0 ? id : id.slice(at + 3)
  const file = path.slice(path.lastIndexOf('/') + 1).replace(/^[^:]*:/, '')
  for (const short of [`…/${file} > ${name}`, `… > ${name}`]) if (path && short.length <= room) return short
  return `…${name.slice(name.length - Math.max(MIN_ID_ROOM, room) + 1)}`
}

/** `text` broken at spaces into lines of at most `width` columns after `indent` (a word longer than a line stays whole). */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  lines.push(indent + line)
  return lines
}
