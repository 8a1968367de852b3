// Plain data shared across layers: what a recorded run says about a test, and what bisect
// established. The store writes and reads these, the bisect coordinator and the analysis take
// them as input; none of them owns the shapes, so they live here, with no behaviour.

export type TestState = 'passed' | 'failed' | 'skipped'

/** A test as a recorded run executed it: where it ran and how it ended. */
export interface RecordedTest {
  /** Vitest project name ('' for the default project). */
  project: string
  /** Path relative to the project root, `/`-separated. */
  file: string
  /** Describe chain and title joined by ` > `, with ` (n)` when repeated in its file. */
  name: string
  /** Position of the file in the run's executed order. */
  fileIndex: number
  /** Position of the test in its file's executed order. */
  testIndex: number
  /** The worker process that ran it, numbered per run (null when unknown). */
  worker: number | null
  state: TestState
}

/** The classes of state a polluter can leave behind that flakeseed can see. */
/** `scope`: a variable of the test file (a describe's `let`) read from its source, never undone by a probe. */
export type LeakKind = 'env' | 'global' | 'mock' | 'timers' | 'module' | 'process' | 'dom' | 'file' | 'scope'

/** One piece of state a polluter left behind, as bisect's diagnosis found it. */
export interface Leak {
  kind: LeakKind
  /** `process.env.SHOP_CURRENCY`, `src/settings.ts: settings.locale`, `console.error`. */
  what: string
  /** The value before the polluter ran and when the victim started, short (hidden when the name looks secret). */
  before: string
  after: string
  /** Undoing just this leak between the polluters and the victim changed the victim's outcome. */
  verified: boolean
  /**
   * Only undone with the other leaks marked `together`: undoing them as a group changed the
   * outcome, undoing fewer of them did not (or was not tried). Never `verified` as well.
   */
  together?: boolean
  /**
   * Not the cause, as probes showed: `cause-alone` when undoing the cause alone changed the
   * outcome (this one is not needed), `no-change` when undoing every leak together changed nothing.
   */
  ruledOut?: 'cause-alone' | 'no-change'
  /** The culprit that left it. */
  by: string
}

/** The smallest remedy for a verified leak, in the user's terms, and how it was checked. */
export interface Fix {
  suggestion: string
  /** A Vitest config change that is the fix (`{ restoreMocks: true }`). */
  config?: Record<string, unknown>
  verified: boolean
  /** Checked by rerunning with the config change, by undoing the leak, or by running a cleaner between. */
  how: 'config-rerun' | 'undo-rerun' | 'cleaner'
  /**
   * The remedy of `flakeseed fix` (`RemedyKind` of src/fix/types.ts) this suggestion says, in the
   * patch's own words: set when `fix` can write it as a patch (and verify that patch).
   */
  remedy?: string
}

/** What the results of one run share, for telling one exact order from another (see `executionKeys`). */
export interface RunFacts {
  run: number
  commit: string | null
  /** Uncommitted changes: the code under test is unknown. */
  dirty: boolean | null
  seed: string
  isolate: boolean | null
  fileParallelism: boolean | null
}

/**
 * One recorded run of a test, as the suspects ranking reads it: how it ended and which tests
 * shared its process before it. The store gathers these from the history; the analysis ranks
 * the earlier tests by how much more often they preceded a failure than a pass.
 */
export interface SuspectRun {
  run: number
  /** The test's outcome in that run. */
  state: 'passed' | 'failed'
  /** Ids (`[project:]file > name`) of the tests that shared its process before it, in executed order. */
  before: string[]
}

/**
 * How often each test ran before one test in its process, counted over that test's runs by its
 * outcome: what `tallySuspects` makes of `SuspectRun`s, and what the store counts directly when
 * `flaky` wants the suspects of many tests at once.
 */
export interface SuspectTally {
  /** The test's runs counted, failing and passing. */
  runs: { failing: number; passing: number }
  /**
   * How many tests preceded it in each of those runs (any order), failing and passing: where it
   * ran. Typed arrays where the store counts them (millions of numbers on a long window, off the
   * garbage-collected heap).
   */
  preceding: { failing: ArrayLike<number>; passing: ArrayLike<number> }
  /** Per earlier test (`[project:]file > name`), the failing and passing runs it preceded the test in. */
  before: Map<string, { failing: number; passing: number }>
}

/**
 * What bisect (or replay --repeat) concluded about a failing test:
 * - `victim`: passes alone, fails after its polluters;
 * - `brittle`: fails alone, passes after its state setters;
 * - `independent`: fails alone and nothing found makes it pass;
 * - `nod`: one fixed order both passed and failed (non-deterministic);
 * - `not-reproduced`: the failing order passed when run again.
 */
export type FindingKind = 'victim' | 'brittle' | 'independent' | 'nod' | 'not-reproduced'

export interface Finding {
  victim: string
  kind: FindingKind
  polluters: string[]
  stateSetters: string[]
  cleaners: string[]
  /** Every Vitest run this bisect made, checks and search together. */
  probes: number
  /**
   * The runs it took to find the culprits (checks, search, verification). Less than `probes`
   * when follow-up questions ran after: is the describe block the cause, which tests clean up.
   */
  probesToFind?: number
  /** How often the victim failed / ran in the checks that decided a `nod` or `not-reproduced`. */
  failures?: { failed: number; runs: number }
  /** When every test of one describe pollutes alike, the describe (its hooks) is the cause. */
  describe?: string
  /** A victim that fails alone: how many recorded passing orders were searched for state setters. */
  passingOrders?: number
  /** Set when the search was interrupted: the smallest set found so far. */
  interrupted?: boolean
  /** Why the whole bisect stopped here (a source file changed under it): one line for stderr. */
  stopped?: string
  /** What the culprits left behind (or, for a brittle test, set up), from the diagnosis after the search. */
  leaks?: Leak[]
  /** Why no leak is listed when the diagnosis ran and saw none. */
  noLeak?: string
  fix?: Fix
  /** Probes the diagnosis took (included in `probes`). */
  diagnosisProbes?: number
}

/**
 * The package manager that installed the project: it built (or skipped) better-sqlite3's native
 * binding, so it decides which command fixes a missing one, and under Yarn Plug'n'Play it decides
 * how a printed command runs a bin (there is no node_modules/.bin for `npx` to find).
 */
export interface PackageManager {
  /** `yarn`: Yarn 2+ (berry); `yarn-classic`: Yarn 1. */
  name: 'npm' | 'pnpm' | 'yarn' | 'yarn-classic'
  /** Yarn Plug'n'Play: bins run through `yarn`, never `npx`. */
  pnp: boolean
  /** The folder holding the lockfile it was detected from (undefined when detected otherwise). */
  root?: string
  /** Its major version, when the user agent told it. */
  major?: number
}

/** The newest bisect/replay finding for a test (see src/store/findings.ts). */
export interface FindingHint {
  kind: FindingKind
  /** What the culprits left behind, and the verified fix (when bisect diagnosed it). */
  leaks?: Leak[]
  fix?: Fix
  polluters: string[]
  stateSetters: string[]
  command: string | null
}

// A window's outcomes packed (the store packs them, `analysePacked` reads them): no object per
// outcome, which on a long window (millions) cost more than the analysis itself.

/** `RunOutcome`'s booleans and evidence, one bit each. */
export const FLAG = {
  failed: 1,
  retried: 2,
  quarantined: 4,
  declarationOrder: 8,
  replay: 16,
  partial: 32,
} as const
/** The runs a window's packed outcomes point at (replays among them). */
export interface PackedRuns {
  id: ArrayLike<number>
  seed: readonly string[]
  commit: ReadonlyArray<string | null>
  startedAt: ReadonlyArray<number | null>
  /** Each run's seed as a number: equal seeds, equal numbers (0 ≤ n < `seeds`). */
  seedNo: ArrayLike<number>
  seeds: number
  /** Each run's commit as a number: equal commits (null among them), equal numbers (0 ≤ n < `commits`). */
  commitNo: ArrayLike<number>
  commits: number
  /** Order numbers are below this. */
  orders: number
}

/** One test's outcomes, oldest first; `RunOutcome` field by field. */
export interface PackedHistory {
  test: string
  length: number
  /** Index into `PackedRuns`. */
  run: ArrayLike<number>
  /** `FLAG` bits. */
  flags: ArrayLike<number>
  retries: ArrayLike<number>
  /** Equal numbers, equal execution keys (`RunOutcome.order`). */
  order: ArrayLike<number>
  /** The error of outcome k (`RunOutcome.error`). */
  error(k: number): string | null
  finding?: FindingHint
}
