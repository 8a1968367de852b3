// A whole hunt, as `flakeseed hunt` and the in-run hunt run it: the base, one Vitest instance,
// the hunt, the instance closed.
import type { CommandOptions } from '../core/commands.js'
import { huntCommand } from '../core/commands.js'
import { PlanExecutor } from '../run/execute.js'
import { findBase } from './git.js'
import { type HuntResult, hunt } from './hunt.js'
import { huntRecorder } from './record.js'

export { DEFAULT_HUNT_SEEDS } from '../core/defaults.js'

export interface HuntSessionOptions {
  root: string
  config?: string
  base?: string
  budget: number
  seeds: number
  repeat: number
  /** The history file, when there is one: probes never touch it; the findings, their failing orders (runs of kind `hunt`) and verified patches go into it. */
  db?: string
  /** What the printed commands share (`--db`, the launcher). */
  commands: CommandOptions
}

/** The hunt's result, or why nothing was hunted (no base to compare with). */
export async function runHuntSession(
  options: HuntSessionOptions,
  phase: (text: string) => void = () => {},
): Promise<{ result: HuntResult } | { note: string }> {
  const base = findBase(options.root, options.base)
  if ('none' in base) return { note: base.none }
  const executor = await PlanExecutor.create({
    root: options.root,
    config: options.config,
    seed: 'hunt',
    kind: 'probe',
    db: false,
    quiet: true,
    protect: options.db ? [options.db] : [],
  })
  try {
    const result = await hunt({
      root: options.root,
      base,
      executor,
      budget: options.budget,
      seeds: options.seeds,
      repeat: options.repeat,
      phase,
      command: () => huntCommand(base.commit, options.commands),
      ...(options.db ? huntRecorder({ root: options.root, config: options.config, db: options.db, commands: options.commands, executor }) : {}),
    })
    return { result }
  } finally {
    await executor.close()
  }
}
