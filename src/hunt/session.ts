// A whole hunt, as `flakeseed hunt` and the in-run hunt run it: the base, one Vitest instance,
// the hunt, the instance closed.
import type { CommandOptions } from '../core/commands.js'
import { huntCommand } from '../core/commands.js'
import { PlanExecutor } from '../run/execute.js'
import { findBase } from './git.js'
import { type HuntResult, hunt } from './hunt.js'
import { huntRecorder } from './record.js'

export { DEFAULT_HUNT_COST, DEFAULT_HUNT_SEEDS } from '../core/defaults.js'

export interface HuntSessionOptions {
  root: string
  config?: string
  base?: string
  budget: number
  seeds: number
  /** The seeds' cost cap in plain runs (`HuntInput.seedsWithin`); undefined: seeds as the budget allows. */
  seedsWithin?: number
  repeat: number
  /** The history file, when there is one: probes never touch it; the findings, their failing orders (runs of kind `hunt`) and verified patches go into it. */
  db?: string
  /** What the printed commands share (`--db`, the launcher). */
  commands: CommandOptions
}

/** The hunt's result, or why nothing was hunted (no base to compare with). */
/** `env` is the process environment (the CI's target branch, git's and the CI's variables), read by the entry point. */
export async function runHuntSession(
  options: HuntSessionOptions,
  env: NodeJS.ProcessEnv,
  phase: (text: string) => void = () => {},
): Promise<{ result: HuntResult } | { note: string }> {
  const startedAt = Date.now()
  const base = findBase(options.root, options.base, env)
  if ('none' in base) return { note: base.none }
  const starting = Date.now()
  const executor = await PlanExecutor.create({
    root: options.root,
    config: options.config,
    seed: 'hunt',
    kind: 'probe',
    db: false,
    quiet: true,
    protect: options.db ? [options.db] : [],
  })
  const startupMs = Date.now() - starting
  try {
    const result = await hunt({
      root: options.root,
      base,
      executor,
      budget: options.budget,
      seeds: options.seeds,
      ...(options.seedsWithin === undefined ? {} : { seedsWithin: options.seedsWithin, session: { startedAt, startupMs } }),
      repeat: options.repeat,
      phase,
      command: () => huntCommand(base.commit, options.commands),
      ...(options.db ? huntRecorder({ root: options.root, config: options.config, db: options.db, commands: options.commands, executor, env }) : {}),
    })
    return { result }
  } finally {
    await executor.close()
  }
}
