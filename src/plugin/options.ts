// Plugin options: defaults, environment overrides and validation. A mistake in the config is a
// FlakeseedError whose message names the option, thrown while Vitest loads the config.
import { randomInt } from 'node:crypto'
import type { FlakyClass } from '../analysis/flakiness.js'
import { DEFAULT_DB, DEFAULT_QUARANTINE } from '../core/defaults.js'
import { currentCommit } from './environment.js'
import { FlakeseedError } from '../core/errors.js'
import { parseDecimal } from '../core/format.js'
import { checkHunt, type HuntOption, type ResolvedHunt } from './hunt-option.js'

export type SeedOption = 'random' | 'commit' | number | string

export interface FlakeseedOptions {
  /**
   * Where the order comes from: `'random'` (default, a fresh seed every run), `'commit'`
   * (derived from `git rev-parse HEAD`: every rerun and every shard of a commit share an
   * order), or a fixed number or string. `FLAKESEED_SEED` overrides it.
   */
  seed?: SeedOption
  /** Seed `Math.random` per test from the seed and the test id (default `true`). */
  reseedRandom?: boolean
  /**
   * SQLite file the history is recorded in, relative to the Vitest root
   * (default `.flakeseed/history.db`; `FLAKESEED_DB` overrides; `false` records nothing).
   */
  db?: string | false
  /**
   * The quarantine list, relative to the Vitest root (default `.flakeseed/quarantine.json`;
   * `false`: none), or `{ file, auto }`, where `auto` quarantines without listing them the tests
   * whose class in the history is one of these.
   */
  quarantine?: string | false | QuarantineOption
  /**
   * Bisect in the failing job itself: after a recorded `vitest run` with failures the history
   * does not explain yet, find their causes within `budget` seconds for all of them (default
   * 120). Off by default; `FLAKESEED_BISECT=new|off` and `FLAKESEED_BISECT_BUDGET` override.
   * Never changes the run's exit code.
   */
  bisect?: { onFailure?: 'new' | 'off'; budget?: number }
  /** `flakeseed hunt` after the run (src/plugin/hunt-option.ts). */
  hunt?: HuntOption | boolean
}

export interface QuarantineOption {
  file?: string | false
  auto?: AutoClass[]
}

/** The classes an `auto` policy may name: flaky ones. A broken test is not flaky, it is broken. */
export const AUTO_CLASSES = ['order-dependent', 'suspected-order-dependent', 'non-deterministic'] as const satisfies readonly FlakyClass[]
export type AutoClass = (typeof AUTO_CLASSES)[number]

export interface ResolvedOptions {
  seed: SeedOption
  reseedRandom: boolean
  db: string | false
  bisect: { onFailure: 'new' | 'off'; budget: number }
  quarantine: { file: string | false; auto: AutoClass[] }
  hunt?: ResolvedHunt
}

/** Seconds the end-of-run bisect may take when no budget is given. */
export const DEFAULT_BISECT_BUDGET = 120
/**
 * The most seconds a bisect may be given (24 h): the budget becomes a timer, and Node's timers
 * hold at most 2^31 − 1 ms (24.8 days; above it a timer fires at once, with a TimeoutOverflowWarning).
 */
export const MAX_BISECT_BUDGET = 86_400

/** A number of seconds as typed (`120`, `1.5`, `1e3`): the number, or undefined. */
export function parseSeconds(text: string): number | undefined {
  return parseDecimal(text)
}

/** Whether `seconds` is a budget: above 0 and at most MAX_BISECT_BUDGET. */
export function checkBudget(seconds: number | undefined): 'ok' | 'not-seconds' | 'too-long' {
  if (seconds === undefined || !(seconds > 0) || !Number.isFinite(seconds)) return 'not-seconds'
  return seconds > MAX_BISECT_BUDGET ? 'too-long' : 'ok'
}

export type SeedSource = 'random' | 'commit' | 'config' | 'env'

const KNOWN: ReadonlyArray<keyof FlakeseedOptions> = ['seed', 'reseedRandom', 'db', 'quarantine', 'bisect', 'hunt']

export function resolveOptions(input: unknown): ResolvedOptions {
  if (input === undefined) input = {}
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FlakeseedError(`flakeseed(options): options must be an object, got ${describe(input)}`)
  }
  const options = input as Record<string, unknown>
  for (const key of Object.keys(options)) {
    if (!(KNOWN as string[]).includes(key)) {
      throw new FlakeseedError(`flakeseed: unknown option "${key}" (known options: ${KNOWN.join(', ')})`)
    }
  }
  const { seed = 'random', reseedRandom = true, db = DEFAULT_DB, quarantine = DEFAULT_QUARANTINE, bisect = {} } = options
  checkSeed(seed, 'seed')
  if (typeof reseedRandom !== 'boolean') {
    throw new FlakeseedError(`flakeseed: option "reseedRandom" must be true or false, got ${describe(reseedRandom)}`)
  }
  if (db !== false && (typeof db !== 'string' || db === '')) {
    throw new FlakeseedError(`flakeseed: option "db" must be a file path or false, got ${describe(db)}`)
  }
  return {
    seed: seed as SeedOption,
    reseedRandom,
    db: db as string | false,
    quarantine: resolveQuarantine(quarantine),
    bisect: checkBisect(bisect),
    hunt: checkHunt(options.hunt),
  }
}

function checkBisect(value: unknown): ResolvedOptions['bisect'] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FlakeseedError(`flakeseed: option "bisect" must be an object like { onFailure: 'new', budget: 120 }, got ${describe(value)}`)
  }
  const { onFailure = 'off', budget = DEFAULT_BISECT_BUDGET, ...rest } = value as Record<string, unknown>
  const unknown = Object.keys(rest)[0]
  if (unknown) throw new FlakeseedError(`flakeseed: unknown option "bisect.${unknown}" (known: onFailure, budget)`)
  if (onFailure !== 'new' && onFailure !== 'off')
    throw new FlakeseedError(`flakeseed: option "bisect.onFailure" must be 'new' or 'off', got ${describe(onFailure)}`)
  if (typeof budget !== 'number' || !(budget > 0) || !Number.isFinite(budget)) {
    throw new FlakeseedError(`flakeseed: option "bisect.budget" must be a number of seconds above 0, got ${describe(budget)}`)
  }
  return { onFailure, budget }
}

/**
 * The end-of-run bisect for this run: the option, or `FLAKESEED_BISECT` / `FLAKESEED_BISECT_BUDGET`.
 * An unusable variable is a warning, and the option stands.
 */
export function endOfRunBisect(option: ResolvedOptions['bisect'], env: NodeJS.ProcessEnv): { budget: number | undefined; warning?: string } {
  let on = option.onFailure === 'new'
  let budget = option.budget
  const warnings: string[] = []
  const mode = env.FLAKESEED_BISECT?.trim()
  if (mode === 'new') on = true
  else if (mode === 'off' || mode === '0' || mode === 'false') on = false
  else if (mode) warnings.push(`FLAKESEED_BISECT=${JSON.stringify(mode)} is not 'new' or 'off'`)
  const seconds = env.FLAKESEED_BISECT_BUDGET?.trim()
  /** Above the longest budget: the bisect gets the longest (it was asked for as much as it takes). */
  let capped: string | undefined
  const tooLong = `is more than the longest budget, ${MAX_BISECT_BUDGET} s (24 h)`
  if (seconds) {
    const check = checkBudget(parseSeconds(seconds))
    if (check === 'ok') budget = Number(seconds)
    else if (check === 'too-long') capped = `FLAKESEED_BISECT_BUDGET=${JSON.stringify(seconds)} ${tooLong}`
    else warnings.push(`FLAKESEED_BISECT_BUDGET=${JSON.stringify(seconds)} is not a number of seconds above 0`)
  }
  if (!capped && budget > MAX_BISECT_BUDGET) capped = `option "bisect.budget" (${budget}) ${tooLong}`
  if (capped) budget = MAX_BISECT_BUDGET
  const lines = [
    ...(warnings.length ? [`flakeseed: ${warnings.join('; ')}: ignored`] : []),
    ...(capped ? [`flakeseed: ${capped}: using ${MAX_BISECT_BUDGET} s`] : []),
  ]
  const warning = lines.length ? lines.join('\n') : undefined
  return { budget: on ? budget : undefined, ...(warning ? { warning } : {}) }
}

function resolveQuarantine(value: unknown): ResolvedOptions['quarantine'] {
  const file = (v: unknown, name: string): string | false => {
    if (v === false || (typeof v === 'string' && v !== '')) return v
    throw new FlakeseedError(`flakeseed: option "${name}" must be a file path or false, got ${describe(v)}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { file: file(value, 'quarantine'), auto: [] }
  const option = value as Record<string, unknown>
  for (const key of Object.keys(option)) {
    if (key !== 'file' && key !== 'auto') throw new FlakeseedError(`flakeseed: unknown option "quarantine.${key}" (known: file, auto)`)
  }
  const auto = option.auto ?? []
  const known = AUTO_CLASSES.join(', ')
  if (!Array.isArray(auto)) throw new FlakeseedError(`flakeseed: option "quarantine.auto" must be a list of classes (${known}), got ${describe(auto)}`)
  for (const cls of auto) {
    if (!(AUTO_CLASSES as readonly unknown[]).includes(cls)) {
      throw new FlakeseedError(`flakeseed: option "quarantine.auto" cannot hold ${describe(cls)} (it takes flaky classes: ${known})`)
    }
  }
  return { file: file(option.file ?? DEFAULT_QUARANTINE, 'quarantine.file'), auto: [...new Set(auto as AutoClass[])] }
}

function checkSeed(seed: unknown, name: string): void {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new FlakeseedError(`flakeseed: option "${name}" must be an integer, a string, 'random' or 'commit', got ${seed}`)
    }
    return
  }
  if (typeof seed !== 'string' || seed.trim() === '') {
    throw new FlakeseedError(`flakeseed: option "${name}" must be 'random', 'commit', a number or a non-empty string, got ${describe(seed)}`)
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

export interface ChosenSeed {
  seed: string
  source: SeedSource
  /** Why the seed is not what was asked for, for one warning line. */
  warning?: string
}

/**
 * The seed for one Vitest run. `FLAKESEED_SEED` wins over the config so a developer can replay
 * a CI seed without editing anything.
 */
export function chooseSeed(option: SeedOption, root: string, env: NodeJS.ProcessEnv): ChosenSeed {
  const fromEnv = env.FLAKESEED_SEED?.trim()
  if (fromEnv) {
    if (fromEnv === 'random' || fromEnv === 'commit') return chooseSeed(fromEnv, root, {})
    return { seed: fromEnv, source: 'env' }
  }
  if (option === 'random') return { seed: String(randomInt(1, 100_000)), source: 'random' }
  if (option === 'commit') {
    const sha = currentCommit(root, env)
    if (!sha) {
      // A checkout without .git (a Docker build context, a tarball) must still run its tests.
      const seed = String(randomInt(1, 100_000))
      const warning = `flakeseed: seed 'commit' needs a git commit, and ${root} has none (no .git, no CI commit variable): using random seed ${seed}`
      return { seed, source: 'random', warning }
    }
    return { seed: sha.slice(0, 12), source: 'commit' }
  }
  return { seed: String(option), source: 'config' }
}
