// A whole hunt, as `flakeseed hunt` and the in-run hunt run it: the base, one Vitest instance,
// the hunt, the instance closed.
import { type CommandOptions, huntCommand, NOD_REPEAT, replayCommand } from '../core/commands.js'
import type { Finding } from '../core/model.js'
import { existsSync } from 'node:fs'
import { PlanExecutor } from '../run/execute.js'
import { asideLines, changedLines, leftSince, moveAside, type RecordedLeft } from '../run/leftovers.js'
import { Store } from '../store/index.js'
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
  // As bisect does: what the project's recorded runs left would decide the hunt's orders; out of the way until the end.
  // What it did with them goes into the result (printed with it, in a terminal, in CI's log and
  // from the in-run hunt's child alike), not into a progress line that the next one overwrites.
  const aside = moveAside(options.root, options.db ? historyLeft(options.db, options.root) : [], { signals: true })
  const files = [...asideLines(aside.moved, [], { runs: aside.runs }), ...changedLines(aside.changed)]
  let found: { result: HuntResult } | undefined
  try {
    found = await huntWithExecutor(options, env, phase, { base, startedAt })
  } finally {
    files.push(...asideLines([], aside.putBack()))
    if (!found) for (const line of files) process.stderr.write(`flakeseed: ${line}\n`)
  }
  if (files.length) found.result.files = files
  return found
}

/** What every recorded run of the project at `root` left (the newest record of a path wins); none without a history. */
function historyLeft(db: string, root: string): RecordedLeft[] {
  if (!existsSync(db)) return []
  try {
    const store = Store.open(db, { readonly: true })
    try {
      return leftSince(store, [{ id: 0, root }])
    } finally {
      store.close()
    }
  } catch {
    // A history that cannot be read costs this, not the hunt (the recorder says why when it writes).
    return []
  }
}

async function huntWithExecutor(
  options: HuntSessionOptions,
  env: NodeJS.ProcessEnv,
  phase: (text: string) => void,
  { base, startedAt }: { base: Exclude<ReturnType<typeof findBase>, { none: string }>; startedAt: number },
): Promise<{ result: HuntResult }> {
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
      command: (finding, runId) => (runId === undefined ? huntCommand(base.commit, options.commands) : reproduceCommand(runId, finding, options.commands)),
      ...(options.db ? huntRecorder({ root: options.root, config: options.config, db: options.db, commands: options.commands, executor, env }) : {}),
    })
    return { result }
  } finally {
    await executor.close()
  }
}

/** As bisect's reproduce line: the recorded failing order, only the culprits and the victim. */
function reproduceCommand(runId: number, f: Finding, commands: CommandOptions): string {
  return replayCommand(runId, {
    only: f.kind === 'victim' ? [...f.polluters, f.victim] : [f.victim],
    repeat: f.kind === 'nod' || f.kind === 'not-reproduced' ? NOD_REPEAT : undefined,
    ...commands,
  })
}
