// What every command shares: where the DB is, how errors and JSON leave the process.
import { resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { type CommandOptions, dbWords as commandDbWords, type Launcher, launcherFor } from '../src/commands.js'
import { DEFAULT_DB } from '../src/defaults.js'
import { FlakeseedError } from '../src/errors.js'
import { idOf } from '../src/names.js'
import { Store } from '../src/store/index.js'
import { detectPackageManager } from '../src/store/package-manager.js'

export interface CommonOptions {
  db?: string
  json?: boolean
}

export const EXIT = { ok: 0, found: 1, usage: 2 } as const

export function dbPath(options: CommonOptions): string {
  return resolve(options.db ?? (process.env.FLAKESEED_DB || DEFAULT_DB))
}

let launcher: Launcher | undefined

/**
 * What the commands a command prints share: `--db PATH` for the DB it read unless that is the
 * default one, and how they run flakeseed (`yarn` under Yarn Plug'n'Play, found once, from here).
 */
export function commandOptions(options: CommonOptions): CommandOptions {
  launcher ??= launcherFor(detectPackageManager(process.cwd()))
  return { db: commandDbWords(options.db), launcher }
}

export function openStore(options: CommonOptions): Store {
  return Store.open(dbPath(options), { readonly: true })
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/**
 * A usage mistake (bad option value, missing argument, unknown option) prints as one line on
 * stderr, like every other error: commander's message plus where to look, and no help dump.
 */
export function oneLineErrors(command: Command): Command {
  const help = command.parent ? `flakeseed ${command.name()} --help` : 'flakeseed --help'
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
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value) || !(Number(value) > 0)) throw new InvalidArgumentError('must be a number of days above 0')
  return Number(value)
}

/** commander argument parser for a positive whole number. */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number of at least 1')
  return Number(value)
}

/** A `--since` value (a date or date-time) as ms since epoch; a user error otherwise. */
export function parseSince(value: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(ms)) throw new FlakeseedError(`flakeseed: --since "${value}" is not a date (use YYYY-MM-DD or an ISO date-time)`)
  return ms
}

/** Errors the user can act on print as one line; anything else is a bug and keeps its stack. */
export function reportError(error: unknown): number {
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
