// Defaults and fixed numbers that more than one module relies on, named once.

/** The history file, relative to the Vitest root (the `db` option, `--db`). */
export const DEFAULT_DB = '.flakeseed/history.db'

/** The quarantine list, relative to the Vitest root (the `quarantine` option, `quarantine --file`). */
export const DEFAULT_QUARANTINE = '.flakeseed/quarantine.json'

/** Newest logical runs `flaky` and the HTML report analyse (`--window`). */
export const DEFAULT_WINDOW = 100

/** Flaky tests the HTML report shows in full (timeline and details); the rest as a compact list (`--top`). */
export const DEFAULT_TOP = 50

/**
 * A run in which more than this share of its tests failed (an outage, a broken install) is left
 * out of flakiness rates and classes (`--max-run-failure-rate`).
 */
export const DEFAULT_MAX_RUN_FAILURE_RATE = 0.5

/** Outcomes a test needs before it gets a rate, or a class other than `suspected` (`--min-runs`). */
export const DEFAULT_MIN_RUNS = 5

/** Runs suggested to tell a non-deterministic test from one that fails on its order (`replay --repeat`). */
export const NOD_REPEAT = 20

/** Runs per bisect check (`bisect --repeat`). */
export const DEFAULT_BISECT_REPEAT = 3

/** Recorded runs in which a victim passed that bisect searches for state setters and cleaners. */
export const PASSING_RUNS_SEARCHED = 5

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

/** Seeds `fix` checks a patch under besides the recorded one. */
export const DEFAULT_FIX_SEEDS = 10

/** Probes side by side at most, whatever the cores (`bisect --jobs`). */
export const MAX_JOBS = 4

/**
 * Probes side by side by default on a machine with `cores` (`availableParallelism()`). One probe
 * keeps more than one core busy (its worker, and Vitest's main thread serving it), so probes side
 * by side only pay where cores are left over: one fewer than the cores, 1 on 2 cores (measured on
 * the bisect bench, bench/README.md).
 */
export function jobsFor(cores: number): number {
  return Math.max(1, Math.min(MAX_JOBS, cores - 1))
}

/** Seeded orders `hunt` runs after the targeted ones, at most (budget permitting). */
export const DEFAULT_HUNT_SEEDS = 4

/**
 * The default's cost cap: seeds only while the hunt stays within this many plain runs of the
 * affected files (issue 22's target when nothing is found; docs/ci.md says why).
 */
export const DEFAULT_HUNT_COST = 3
