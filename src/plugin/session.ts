// One Vitest instance's flakeseed state, shared by the plugin instances of all its projects, the
// sequencer and the reporter. Also the channel through which `flakeseed replay`/`bisect`, which
// run Vitest in-process, hand a plan to the plugin loaded from the user's config.
import type { TestSpecification } from 'vitest/node'
import type { DiagnoseContext } from '../worker/context.js'
import type { Plan } from '../core/order.js'
import type { ResolvedOptions, SeedSource } from './options.js'
import type { RunQuarantine } from '../quarantine/apply.js'

export type RunKind = 'run' | 'replay' | 'probe'

export interface Session {
  seed: string
  seedSource: SeedSource
  options: ResolvedOptions
  kind: RunKind
  /** Print no flakeseed lines. */
  quiet: boolean
  /** The environment, read once when the session starts (`readEnvironment`). */
  env: NodeJS.ProcessEnv
  /** An exact order to run instead of the seeded one (replay, bisect probes). */
  plan?: Plan
  /** Folder where workers leave a breadcrumb of their running test (only when recording). */
  breadcrumbs?: string
  /** What is quarantined (runs of kind `run` only: replay and bisect are there to see failures). */
  quarantine?: RunQuarantine
  /** Names of the projects whose workers run the flakeseed runner. */
  projects: Set<string>
  /**
   * At the start of a run: wires the run's projects not reached yet when the root config carries
   * the plugin, and returns one warning line for each project flakeseed cannot reach (once).
   */
  reachProjects(specifications: ReadonlyArray<TestSpecification>): string[]
  /** A diagnosis probe's instructions for the workers (bisect), with the plan it belongs to. */
  diagnose?: DiagnoseContext
  /** Where a probe's workers note the paths they write (src/worker/writes.ts). */
  writes?: string
  /** A recorded run: where its workers note the paths their tests create (src/run/leftovers.ts). */
  created?: string
  /** Runs the next run on this plan (and diagnosis, and write notes): the sequencer and every worker see it. */
  setPlan(plan: Plan | undefined, diagnose?: DiagnoseContext, writes?: string): void
}

/** Set by the CLI before it creates a Vitest instance; read by the plugin when it wires it. */
export interface Control {
  seed?: string
  seedSource?: SeedSource
  plan?: Plan
  kind: RunKind
  /** Overrides the db option (a replay records into the DB it read from; probes record nothing). */
  db?: string | false
  /** Print no flakeseed lines (bisect probes, --json output). */
  quiet?: boolean
  /**
   * Sources served to Vite instead of the files' bytes (absolute `/`-separated path → text): `fix`
   * runs a patch without writing it into the project.
   */
  sources?: ReadonlyMap<string, string>
  /**
   * Called with every module Vite transforms for the instance (absolute, `/`-separated, query
   * removed): what `fix`'s checks actually ran, aliases and tsconfig paths resolved as the run did.
   */
  onLoad?(path: string): void
  onSession?(session: Session): void
}

const CONTROL = Symbol.for('flakeseed.control')

/** A symbol on globalThis reaches the plugin even when the config loaded another copy of flakeseed. */
export function setControl(control: Control | undefined): void {
  ;(globalThis as Record<symbol, unknown>)[CONTROL] = control
}

export function getControl(): Control | undefined {
  return (globalThis as Record<symbol, unknown>)[CONTROL] as Control | undefined
}
