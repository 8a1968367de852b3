// Bisect in the failing CI job itself (the `bisect` option): after the run is recorded, the
// failures the history does not explain yet are bisected (`bisect --new --budget`) by the
// library's bisect session in a process of its own (src/bisect/child.ts, forked by src/run/child.ts: a Vitest instance of its
// own, after this one has finished its run), which sends its findings back as data. They are
// printed after Vitest's summary and added to the job summary. It never changes the run's exit
// code, and never runs longer than the budget (plus a grace to close).
import { fileURLToPath } from 'node:url'
import type { ChildResult } from '../src/bisect/child.js'
import type { BisectReport } from '../src/bisect/report.js'
import { type BisectSessionOptions, defaultJobs } from '../src/bisect/session.js'
import type { FixChildResult, JobPatch } from '../src/fix-session/child.js'
import type { FixSessionOptions } from '../src/fix-session/session.js'
import type { CommandOptions } from '../src/core/commands.js'
import { DEFAULT_BISECT_REPEAT, DEFAULT_FIX_SEEDS } from '../src/core/defaults.js'
import { busyTimeout } from '../src/store/index.js'
import { runChild } from '../src/run/child.js'

const CHILD = fileURLToPath(new URL('../src/bisect/child.js', import.meta.url))
/** Beyond the budget, time for the bisect to send what it has and close its Vitest instance. */
const GRACE_MS = 30_000

export interface AutoBisect {
  findings: BisectReport[]
  left: Array<{ test: string; why: string }>
  /** What the bisect said besides its findings (files it moved aside while it ran), a line each. */
  notes?: string[]
  /** Set when the bisect itself could not run or answer (one warning line). */
  error?: string
  /** The patches verified for what it found (`fix`), with the command that applies them. */
  patches?: JobPatch[]
  apply?: string
}

export interface AutoBisectOptions {
  root: string
  runId: number
  db: string
  budget: number
  /** What the printed commands share (`--db`, the launcher). */
  commands: CommandOptions
  /** The environment of this process (Vitest's): the bisect's own Vitest gets it without Vitest's markers. */
  env: NodeJS.ProcessEnv
}

export function autoBisect(options: AutoBisectOptions): Promise<AutoBisect> {
  const session: BisectSessionOptions = {
    ref: String(options.runId),
    db: options.db,
    dbTimeout: busyTimeout(options.env),
    new: true,
    budget: options.budget,
    repeat: DEFAULT_BISECT_REPEAT,
    cleaners: false,
    diagnose: true,
    jobs: defaultJobs(),
    commands: options.commands,
  }
  return runChild<ChildResult>(CHILD, session, { cwd: options.root, env: options.env, timeoutMs: options.budget * 1000 + GRACE_MS }).then((answer) =>
    'error' in answer ? { findings: [], left: [], error: answer.error } : { findings: answer.findings, left: answer.left, notes: answer.notes ?? [] },
  )
}

const FIX_CHILD = fileURLToPath(new URL('../src/fix-session/child.js', import.meta.url))

/**
 * After the bisect: the failures it explained get their patch (verified, never written, nothing
 * bisected), within what is left of the budget; a fix cut short by it shows nothing.
 */
export function autoFix(options: {
  root: string
  runId: number
  db: string
  seconds: number
  commands: CommandOptions
  env: NodeJS.ProcessEnv
}): Promise<{ patches: JobPatch[]; error?: string }> {
  const session: FixSessionOptions = { ref: String(options.runId), db: options.db, seeds: DEFAULT_FIX_SEEDS, bisect: false, commands: options.commands }
  return runChild<FixChildResult>(FIX_CHILD, session, { cwd: options.root, env: options.env, timeoutMs: options.seconds * 1000 }).then((answer) =>
    'error' in answer ? { patches: [], error: answer.error } : { patches: answer.patches },
  )
}
