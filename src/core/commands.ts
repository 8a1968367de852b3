// Every command flakeseed prints for a user to copy (the end-of-run lines, bisect's reproduction,
// `flaky`'s next step, the stored findings) is built here, so they share one quoting rule, one
// `--db` rule (a command names the DB unless it is the default one) and one rule for test ids:
// they run as printed whatever a file path or title holds. Each id is the value of its own
// option (`--only ID --only ID`, `--test ID`): commander takes an option's value whatever it looks
// like, but stops a list of values at the first word that starts with `-`. An id given as an
// argument comes after `--` when it starts with `-`.
import { isAbsolute, relative, resolve } from 'node:path'
import { DEFAULT_DB, NOD_REPEAT } from './defaults.js'
import type { PackageManager } from './model.js'
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

/**
 * How a printed command runs a bin of the project: `npx`, or `yarn` under Yarn Plug'n'Play, where
 * there is no node_modules/.bin and `npx flakeseed` would look for flakeseed on the registry.
 */
export type Launcher = 'npx' | 'yarn'

export function launcherFor(pm: Pick<PackageManager, 'pnp'>): Launcher {
  return pm.pnp ? 'yarn' : 'npx'
}

export interface CommandOptions {
  /** `dbWords(…)`: which DB the command reads. */
  db?: readonly string[]
  /** `--config PATH`, when the user gave one. */
  config?: string
  /** `launcherFor(…)`; `npx` when not given. */
  launcher?: Launcher
}

function flakeseed(options: CommandOptions): string[] {
  return [options.launcher ?? 'npx', 'flakeseed']
}

function tail(options: CommandOptions): string[] {
  return [...(options.db ?? []), ...(options.config ? ['--config', options.config] : [])]
}

/** `npx flakeseed replay RUN [--only TEST]… [--repeat K]`. */
export function replayCommand(run: number, options: CommandOptions & { only?: readonly string[]; repeat?: number } = {}): string {
  const words = [...flakeseed(options), 'replay', String(run)]
  for (const test of options.only ?? []) words.push('--only', test)
  if (options.repeat !== undefined && options.repeat > 1) words.push('--repeat', String(options.repeat))
  return shellCommand([...words, ...tail(options)])
}

/** `npx flakeseed bisect RUN [--test TEST]`. */
export function bisectCommand(run: number, options: CommandOptions & { test?: string } = {}): string {
  const words = [...flakeseed(options), 'bisect', String(run)]
  if (options.test !== undefined) words.push('--test', options.test)
  return shellCommand([...words, ...tail(options)])
}

/** `npx flakeseed fix RUN [--test TEST] [--apply]`. */
export function fixCommand(run: number, options: CommandOptions & { test?: string; apply?: boolean } = {}): string {
  const words = [...flakeseed(options), 'fix', String(run)]
  if (options.test !== undefined) words.push('--test', options.test)
  if (options.apply) words.push('--apply')
  return shellCommand([...words, ...tail(options)])
}

/** `npx flakeseed fix --all --apply`: the combination of the history's patches written. */
export function fixAllCommand(options: CommandOptions & { apply?: boolean } = {}): string {
  return shellCommand([...flakeseed(options), 'fix', '--all', ...(options.apply ? ['--apply'] : []), ...tail(options)])
}

/** `npx flakeseed hunt --base COMMIT`: the hunt again, against the same base. */
export function huntCommand(base: string, options: CommandOptions = {}): string {
  return shellCommand([...flakeseed(options), 'hunt', '--base', base, ...tail(options)])
}

/** `npx flakeseed show RUN`. */
export function showCommand(run: number, options: CommandOptions = {}): string {
  return shellCommand([...flakeseed(options), 'show', String(run), ...tail(options)])
}

/** `npx flakeseed history TEST` (`history … -- -TEST` for an id that starts with `-`). */
export function historyCommand(test: string, options: CommandOptions = {}): string {
  return shellCommand([...flakeseed(options), 'history', ...tail(options), ...(test.startsWith('-') ? ['--'] : []), test])
}

/** `npx flakeseed flaky`. */
export function flakyCommand(options: CommandOptions = {}): string {
  return shellCommand([...flakeseed(options), 'flaky', ...tail(options)])
}

/** The same order without any DB: `FLAKESEED_SEED=S npx vitest run ARGS…`. */
export function seedCommand(seed: string, vitestArgs: readonly string[] = [], launcher: Launcher = 'npx'): string {
  return `FLAKESEED_SEED=${shellCommand([seed])} ${shellCommand([launcher, 'vitest', 'run', ...vitestArgs])}`
}

/** The options of `replay` and `bisect` that take a value: the word after one is never an option. */
const VALUED = new Set(['--only', '--test', '--repeat', '--config', '--db', '--seed'])

/**
 * A stored `replay`/`bisect` command as it must read in another DB (merging): the run's id there,
 * and that DB's `--db` words instead of the ones it was stored with.
 */
export function retargetCommand(command: string, run: number | null, db: readonly string[]): string {
  const words = shellWords(command)
  if ((words[0] !== 'npx' && words[0] !== 'yarn') || words[1] !== 'flakeseed' || (words[2] !== 'replay' && words[2] !== 'bisect')) return command
  if (run !== null && /^\d+$/.test(words[3] ?? '')) words[3] = String(run)
  // Only an option named `--db` goes, not a test id that reads `--db`.
  for (let i = 4; i < words.length && words[i] !== '--'; i++) {
    if (words[i] === '--db') words.splice(i--, 2)
    else if (VALUED.has(words[i]!)) i++
  }
  return shellCommand([...words, ...db])
}

/** The native dependency the store loads, which the package manager builds at install time. */
export const NATIVE_DEPENDENCY = 'better-sqlite3'

/** Builds better-sqlite3's native binding again, with the package manager that installed it (npm's works in a Yarn 1 tree). */
export function rebuildCommand(pm: Pick<PackageManager, 'name'>): string {
  const tool = pm.name === 'pnpm' || pm.name === 'yarn' ? pm.name : 'npm'
  return shellCommand([tool, 'rebuild', NATIVE_DEPENDENCY])
}

/**
 * Lets better-sqlite3's build script run where the package manager asks for that: pnpm's
 * `approve-builds` (interactive in pnpm 10, which builds what is picked; given the package in
 * pnpm 11 and 12), Yarn's
 * `dependenciesMeta` (written by `npm pkg set`, as Yarn has no command for it), npm 11's
 * `allowScripts`. Yarn 1 runs every build script.
 */
export function allowBuildCommand(pm: Pick<PackageManager, 'name' | 'major'>): string | undefined {
  switch (pm.name) {
    case 'pnpm':
      // pnpm 11+ takes the package (approves it in allowBuilds and builds it, no prompt); 10 only asks.
      return shellCommand(pm.major !== undefined && pm.major >= 11 ? ['pnpm', 'approve-builds', NATIVE_DEPENDENCY] : ['pnpm', 'approve-builds'])
    case 'yarn':
      return shellCommand(['npm', 'pkg', 'set', `dependenciesMeta.${NATIVE_DEPENDENCY}.built=true`, '--json'])
    case 'npm':
      return shellCommand(['npm', 'install-scripts', 'approve', NATIVE_DEPENDENCY])
    case 'yarn-classic':
      return undefined
  }
}
