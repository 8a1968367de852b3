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
  /** Tests whose failure must not fail the run (entries in effect, and `auto` matches). Runs only. */
  quarantine?: QuarantineRule[]
}

declare module 'vitest' {
  export interface ProvidedContext {
    flakeseed: WorkerContext
  }
}
