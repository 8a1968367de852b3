import type { Command } from 'commander'
import { DEFAULT_BISECT_REPEAT } from '../src/core/defaults.js'
import { findBase } from '../src/hunt/git.js'
import { type HuntResult, hunt } from '../src/hunt/hunt.js'
import { huntJson, huntText } from '../src/hunt/report.js'
import { huntCommand as rerunCommand } from '../src/core/commands.js'
import { checkBudget, MAX_BISECT_BUDGET, parseSeconds } from '../src/plugin/options.js'
import { PlanExecutor } from '../src/run/execute.js'
import { InvalidArgumentError } from 'commander'
import { commandOptions, dbPath, EXIT, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  base?: string
  budget: number
  seeds: number
  repeat: number
  config?: string
}

/** Seconds a hunt takes at most unless told (the targeted orders, then seeds with what is left). */
export const DEFAULT_HUNT_BUDGET = 120
/** Seeded orders after the targeted ones, at most. */
export const DEFAULT_HUNT_SEEDS = 4

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('hunt')
    .description(
      'run what a change touches in targeted orders (reverse, each new test before the others, alone, seeds); fail on an order dependency the change introduced',
    )
    .option('--base <ref>', "the branch the change goes into (default: the CI's target branch, else origin/HEAD)")
    .option('--budget <seconds>', `stop starting new orders after this many seconds (default ${DEFAULT_HUNT_BUDGET})`, seconds, DEFAULT_HUNT_BUDGET)
    .option('--seeds <n>', `seeded orders after the targeted ones, budget permitting (default ${DEFAULT_HUNT_SEEDS})`, nonNegativeInt, DEFAULT_HUNT_SEEDS)
    .option('--repeat <k>', 'runs per bisect check of a failure found', positiveInt, DEFAULT_BISECT_REPEAT)
    .option('--config <path>', 'Vitest config file (default: Vitest’s own lookup)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: Options) => action(() => huntAction(options)))
}

export async function huntAction(options: Options): Promise<number> {
  const root = process.cwd()
  const base = findBase(root, options.base)
  if ('none' in base) {
    if (options.json) printJson({ base: null, affected: { files: [], tests: [] }, runs: 0, findings: [], seconds: 0, note: base.none })
    else console.log(`flakeseed hunt: ${base.none}; nothing hunted`)
    return EXIT.ok
  }
  const executor = await PlanExecutor.create({ root, config: options.config, seed: 'hunt', kind: 'probe', db: false, quiet: true, protect: [dbPath(options)] })
  const tty = process.stderr.isTTY && !options.json
  let result: HuntResult
  try {
    result = await hunt({
      root,
      base,
      executor,
      budget: options.budget,
      seeds: options.seeds,
      repeat: options.repeat,
      phase: (text) => tty && process.stderr.write(`\r\x1b[Kflakeseed hunt: ${text}`),
      command: () => rerunCommand(base.commit, commandOptions(options)),
    })
  } finally {
    if (tty) process.stderr.write('\r\x1b[K')
    await executor.close()
  }
  if (options.json) printJson(huntJson(result))
  else console.log(huntText(result))
  return result.findings.some((f) => f.introduced) ? EXIT.found : EXIT.ok
}

function seconds(value: string): number {
  const s = parseSeconds(value)
  const check = checkBudget(s)
  if (check === 'too-long') throw new InvalidArgumentError(`must be at most ${MAX_BISECT_BUDGET} seconds (24 h)`)
  if (check !== 'ok') throw new InvalidArgumentError('must be a number of seconds above 0')
  return s!
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number, 0 or more')
  return Number(value)
}
