// The worker's two contracts: what the main process hands to the runner in every worker (through
// `project.provide`), and what the runner leaves on each test for the reporter (`TestMeta`).
import type { TestPattern } from '../core/names.js'

/** A quarantine entry in effect for this run, as the worker matches it. */
export interface QuarantineRule extends TestPattern {
  /** `reason`, or the class an `auto` policy matched. */
  reason: string
}

export interface WorkerContext {
  seed: string
  reseedRandom: boolean
  /** The Vitest project's name ('' for the default project). */
  project: string
  /** Replay/bisect: absolute file path → test names to run, in order. Absent for a normal run. */
  plan?: Record<string, string[]>
  /** Folder where workers leave a synchronous breadcrumb of the running test. */
  breadcrumbs?: string
  /** A bisect diagnosis probe: where to take snapshots, what to undo, where to report. */
  diagnose?: DiagnoseContext
  /** Replay/bisect probes: folder where workers note the paths they write (src/worker/writes.ts). */
  writes?: string
  /** A recorded run: folder where workers note the paths their tests create (src/worker/writes.ts). */
  created?: string
  /** Tests whose failure must not fail the run (entries in effect, and `auto` matches). Runs only. */
  quarantine?: QuarantineRule[]
}

/** A test of a diagnosis probe: its id, absolute file path and name in the file. */
export interface DiagnosedTest {
  id: string
  file: string
  name: string
}

export interface DiagnoseContext {
  /** The JSON report the worker writes when the victim is about to start. */
  report: string
  /** The project root: its files and modules are compared. */
  root: string
  /** Absolute paths never looked at (the history DB). */
  skip: string[]
  /** Absolute paths of the plan's test files (their own module state is not a leak). */
  testFiles: string[]
  /** The polluters (or state setters), in the order they run. */
  culprits: DiagnosedTest[]
  victim: DiagnosedTest
  /** Leak keys to undo just before the victim. */
  undo?: string[]
  /** Worker config set for the probe, as the config file would (`restoreMocks`, `unstubEnvs`…). */
  config?: Record<string, unknown>
  /** Where the probe's workers note the paths they write (the worker context's `writes`). */
  writes?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    flakeseed: WorkerContext
  }
}

/** What the runner leaves in `task.meta.flakeseed` for the reporter. */
export interface TestMeta {
  /** Position of the test in its file's executed order. */
  index: number
  /** The test's name (describe chain and title), with ` (n)` when the name repeats in its file. */
  name: string
  /** The process (and thread) that ran it. */
  worker: string
  /** The seed of the run (any reporter can print or record it). */
  seed: string
  /**
   * Set when the test is quarantined. When it failed, Vitest was told it passed (so the run does
   * not fail on it) and its errors, every attempt's, are here for the reporter.
   */
  quarantine?: { reason: string; errors?: unknown[] }
}
