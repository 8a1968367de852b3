// The shapes of a patch: what `planPatches` makes of a finding (remedies, smallest first, each a set
// of whole-file edits) and what the verifier and the CLI take from it. The functions live beside
// this file and are re-exported here, so one import serves both: `import { planPatches, unifiedDiff,
// type Remedy } from '../fix/types.js'`. See docs/ARCHITECTURE.md, "Patches".
import type { Finding } from '../core/model.js'

/** One file's change: its whole text before and after. `before` is what the verifier must find on disk to apply it. */
export interface FileEdit {
  /** Relative to `PatchInput.root`, `/`-separated (what `git apply` from the root takes). */
  path: string
  before: string
  after: string
}

/**
 * How a remedy removes the cause:
 * - `restoreMocks-config`, `unstubEnvs-config`, `unstubGlobals-config`, `clearMocks-config`,
 *   `isolate-config`: one switch in the `test` block of the Vitest config that ran the test;
 * - `restoreAllMocks-hook`, `unstubAllEnvs-hook`, `unstubAllGlobals-hook`, `clearAllMocks-hook`,
 *   `real-timers`: a `vi.…()` call in an `afterEach` of the polluter's describe;
 * - `restore-env`, `restore-global`, `restore-export`, `restore-prototype`, `restore-process`:
 *   the value saved in a `beforeEach` and put back (or deleted when it had none) in an `afterEach`
 *   of the polluter's describe;
 * - `remove-file`: the file the polluter left removed in an `afterEach`;
 * - `describe-setup`: a brittle test's state set up in a `beforeEach` of its describe;
 * - `call-setup`: a brittle test's state set up by repeating its setter's call (yup's
 *   `setLocale(dict)`), saved before and put back after, in the test (or its describe's
 *   `beforeEach`), with the setter's change restored after the setter when it breaks others.
 */
export type RemedyKind =
  | 'restoreMocks-config'
  | 'unstubEnvs-config'
  | 'unstubGlobals-config'
  | 'clearMocks-config'
  | 'isolate-config'
  | 'restoreAllMocks-hook'
  | 'unstubAllEnvs-hook'
  | 'unstubAllGlobals-hook'
  | 'clearAllMocks-hook'
  | 'real-timers'
  | 'restore-env'
  | 'restore-global'
  | 'restore-export'
  | 'restore-prototype'
  | 'restore-process'
  | 'remove-file'
  | 'describe-setup'
  | 'call-setup'

export interface Remedy {
  kind: RemedyKind
  /**
   * One line, e.g. "save process.env.SHOP_CURRENCY before each test and put it back after in describe
   * 'storefront in the euro zone' of test/shop.test.ts"; bisect's fix line says the same (`firstCodeRemedy`).
   */
  summary: string
  /** Said as the last resort it is (`isolate: true`): slower runs, the cause still there. */
  lastResort?: boolean
  edits: FileEdit[]
}

/** Remedies smallest first (the verifier tries them in order and shows the first that passes), or why there is none. */
export type PatchPlan = { remedies: Remedy[] } | { none: string }

/** How the polluters changed the state, as the diagnosis probe saw it (`LeakOrigin` of src/diagnose/fix.ts). */
export interface PatchOrigin {
  /** Names the polluters set through `vi.stubEnv`. */
  stubbedEnv: readonly string[]
  /** Names the polluters set through `vi.stubGlobal`. */
  stubbedGlobal: readonly string[]
}

export interface PatchInput {
  /** Where `git apply` runs: edit paths are relative to it (the run's root, where its config lives). */
  root: string
  /** A diagnosed finding: its verified leaks (or, for a brittle test, what its setters set up). */
  finding: Finding
  /** The folder the finding's test files are relative to (the victim's Vitest project root); default `root`. */
  projectRoot?: string
  /** The Vitest config file that ran the test (absolute, or relative to `root`): config remedies edit it. */
  configFile?: string
  /** The victim's Vitest project name ('' or undefined: the root project): picks the `test` block of a projects config. */
  project?: string
  /** How the polluters changed the state; without it no `unstub*` remedy is offered. */
  origin?: PatchOrigin
  /**
   * For a brittle test: leaks its setters left that other findings of the run show breaking their
   * victims (`what` of each). The `call-setup` remedy then restores them after the setter as well.
   */
  undo?: readonly string[]
  /** The text of a file (absolute path); default: read from disk. Undefined: the file cannot be read. */
  read?: (absolutePath: string) => string | undefined
}

export { unifiedDiff } from './diff.js'
export { planPatches } from './plan.js'
