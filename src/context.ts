// What the main process hands to the runner in every worker (through `project.provide`).
import type { QuarantineRule } from './quarantine.js'

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
}

declare module 'vitest' {
  export interface ProvidedContext {
    flakeseed: WorkerContext
  }
}
