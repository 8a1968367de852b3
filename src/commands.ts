// Every command flakeseed prints for a user to copy (the end-of-run lines, bisect's reproduction,
// `flaky`'s next step, the stored findings) is built here, so they share one quoting rule and one
// `--db` rule: a command names the DB unless it is the default one.
import { isAbsolute, relative, resolve } from 'node:path'
import { DEFAULT_DB, NOD_REPEAT } from './defaults.js'
import { toPosix } from './names.js'
import { shellCommand, shellWords } from './quote.js'

export { NOD_REPEAT }

/**
 * `--db PATH` for a printed command, or nothing for the default DB. Relative to `cwd` (where the
 * user runs it), absolute when the DB is outside it and was given absolute.
 */
export function dbWords(db: string | undefined, cwd = process.cwd()): string[] {
  if (db === undefined) return []
  const rel = toPosix(relative(cwd, resolve(cwd, db)))
  if (rel === DEFAULT_DB) return []
  return ['--db', isAbsolute(db) && rel.startsWith('..') ? db : rel]
}

export interface CommandOptions {
  /** `dbWords(…)`: which DB the command reads. */
  db?: readonly string[]
  /** `--config PATH`, when the user gave one. */
  config?: string
}

const FLAKESEED = ['npx', 'flakeseed']

function tail(options: CommandOptions): string[] {
  return [...(options.db ?? []), ...(options.config ? ['--config', options.config] : [])]
}

/** `npx flakeseed replay RUN [--only TEST…] [--repeat K]`. */
export function replayCommand(run: number, options: CommandOptions & { only?: readonly string[]; repeat?: number } = {}): string {
  const words = [...FLAKESEED, 'replay', String(run)]
  if (options.only?.length) words.push('--only', ...options.only)
  if (options.repeat !== undefined && options.repeat > 1) words.push('--repeat', String(options.repeat))
  return shellCommand([...words, ...tail(options)])
}

/** `npx flakeseed bisect RUN [--test TEST]`. */
export function bisectCommand(run: number, options: CommandOptions & { test?: string } = {}): string {
  const words = [...FLAKESEED, 'bisect', String(run)]
  if (options.test !== undefined) words.push('--test', options.test)
  return shellCommand([...words, ...tail(options)])
}

/** `npx flakeseed show RUN`. */
export function showCommand(run: number, options: CommandOptions = {}): string {
  return shellCommand([...FLAKESEED, 'show', String(run), ...tail(options)])
}

/** `npx flakeseed history TEST`. */
export function historyCommand(test: string, options: CommandOptions = {}): string {
  return shellCommand([...FLAKESEED, 'history', test, ...tail(options)])
}

/** `npx flakeseed flaky`. */
export function flakyCommand(options: CommandOptions = {}): string {
  return shellCommand([...FLAKESEED, 'flaky', ...tail(options)])
}

/** The same order without any DB: `FLAKESEED_SEED=S npx vitest run ARGS…`. */
export function seedCommand(seed: string, vitestArgs: readonly string[] = []): string {
  return `FLAKESEED_SEED=${shellCommand([seed])} ${shellCommand(['npx', 'vitest', 'run', ...vitestArgs])}`
}

/**
 * A stored `replay`/`bisect` command as it must read in another DB (merging): the run's id there,
 * and that DB's `--db` words instead of the ones it was stored with.
 */
export function retargetCommand(command: string, run: number | null, db: readonly string[]): string {
  const words = shellWords(command)
  if (words[0] !== 'npx' || words[1] !== 'flakeseed' || (words[2] !== 'replay' && words[2] !== 'bisect')) return command
  if (run !== null && /^\d+$/.test(words[3] ?? '')) words[3] = String(run)
  const at = words.indexOf('--db')
  if (at >= 0) words.splice(at, 2)
  return shellCommand([...words, ...db])
}
