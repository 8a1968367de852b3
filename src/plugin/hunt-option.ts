// The `hunt` option: `flakeseed hunt` after the run, in the CI job (docs/ci.md). Kept out of
// options.ts so that file only names it.
import { FlakeseedError } from '../core/errors.js'
import { checkBudget, MAX_BISECT_BUDGET, parseSeconds } from './options.js'

export interface HuntOption {
  /** The branch the change goes into (default: the CI's target branch, else `origin/HEAD`). */
  base?: string
  /** Seconds for the hunt (default 120). */
  budget?: number
  /** An order dependency the change introduced fails the run (default true). */
  fail?: boolean
}

export interface ResolvedHunt {
  base: string | undefined
  budget: number
  fail: boolean
}

export const DEFAULT_HUNT_BUDGET = 120

/** The option as given (`undefined`: no hunt unless `FLAKESEED_HUNT` asks for one). */
export function checkHunt(value: unknown): ResolvedHunt | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return { base: undefined, budget: DEFAULT_HUNT_BUDGET, fail: true }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FlakeseedError(`flakeseed: option "hunt" must be an object like { base: 'origin/main', budget: 120, fail: true }, got ${JSON.stringify(value)}`)
  const { base, budget = DEFAULT_HUNT_BUDGET, fail = true, ...rest } = value as Record<string, unknown>
  const unknown = Object.keys(rest)[0]
  if (unknown) throw new FlakeseedError(`flakeseed: unknown option "hunt.${unknown}" (known: base, budget, fail)`)
  if (base !== undefined && (typeof base !== 'string' || base === ''))
    throw new FlakeseedError(`flakeseed: option "hunt.base" must be a git ref, got ${JSON.stringify(base)}`)
  if (typeof budget !== 'number' || checkBudget(budget) !== 'ok')
    throw new FlakeseedError(
      `flakeseed: option "hunt.budget" must be a number of seconds above 0 and at most ${MAX_BISECT_BUDGET}, got ${JSON.stringify(budget)}`,
    )
  if (typeof fail !== 'boolean') throw new FlakeseedError(`flakeseed: option "hunt.fail" must be true or false, got ${JSON.stringify(fail)}`)
  return { base: base as string | undefined, budget, fail }
}

/**
 * The hunt for this run: the option, or `FLAKESEED_HUNT=<ref>` (`off`/`0`/`false` turns it off;
 * `FLAKESEED_HUNT=1`/`true` hunts against the default base) and `FLAKESEED_HUNT_BUDGET`. An
 * unusable budget variable is a warning, and the option's budget stands.
 */
export function endOfRunHunt(option: ResolvedHunt | undefined, env: NodeJS.ProcessEnv = process.env): { hunt?: ResolvedHunt; warning?: string } {
  let hunt = option
  const ref = env.FLAKESEED_HUNT?.trim()
  if (ref === 'off' || ref === '0' || ref === 'false') return {}
  if (ref) hunt = { base: ref === '1' || ref === 'true' ? undefined : ref, budget: option?.budget ?? DEFAULT_HUNT_BUDGET, fail: option?.fail ?? true }
  if (!hunt) return {}
  const seconds = env.FLAKESEED_HUNT_BUDGET?.trim()
  if (!seconds) return { hunt }
  const parsed = parseSeconds(seconds)
  if (checkBudget(parsed) === 'ok') return { hunt: { ...hunt, budget: parsed! } }
  return {
    hunt,
    warning: `flakeseed: FLAKESEED_HUNT_BUDGET=${JSON.stringify(seconds)} is not a number of seconds above 0 (at most ${MAX_BISECT_BUDGET}): ignored`,
  }
}
