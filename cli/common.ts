// What every command shares: where the DB is, how errors and JSON leave the process.
import { resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { dbWords as commandDbWords } from '../src/commands.js'
import { DEFAULT_DB } from '../src/defaults.js'
import { FlakeseedError } from '../src/errors.js'
import { percent } from '../src/format.js'
import { Store } from '../src/store/index.js'

export interface CommonOptions {
  db?: string
  json?: boolean
}

export const EXIT = { ok: 0, found: 1, usage: 2 } as const

export function dbPath(options: CommonOptions): string {
  return resolve(options.db ?? (process.env.FLAKESEED_DB || DEFAULT_DB))
}

/** `--db PATH` for the commands a command prints: the DB it read, unless that is the default one. */
export function dbWords(options: CommonOptions): string[] {
  return commandDbWords(options.db)
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

/** A share given in per cent (`50`, `50%`, `12.5`), above 0 and at most 100, as a fraction. */
export function percentage(value: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(value.trim())
  const n = m ? Number(m[1]) : Number.NaN
  if (!(n > 0 && n <= 100)) throw new InvalidArgumentError('must be a percentage above 0 and at most 100 (e.g. 50 or 50%)')
  return n / 100
}

/** `2 runs left out: more than 50% of their tests failed (runs 4 (80%), 7 (100%))`, for `flaky` and `report`. */
export function leftOutLine(runs: ReadonlyArray<{ id: number; passed: number; failed: number }>, rate: number): string | undefined {
  if (!runs.length) return undefined
  const ids = runs.map((r) => `${r.id} (${percent(r.failed / (r.passed + r.failed))})`).join(', ')
  return `${runs.length === 1 ? '1 run' : `${runs.length} runs`} left out: more than ${percent(rate)} of ${runs.length === 1 ? 'its' : 'their'} tests failed (${runs.length === 1 ? 'run' : 'runs'} ${ids}; --max-run-failure-rate 100 keeps them)`
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
