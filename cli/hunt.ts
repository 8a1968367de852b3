import type { Command } from 'commander'
import { DEFAULT_BISECT_REPEAT } from '../src/core/defaults.js'
import { DEFAULT_HUNT_COST, DEFAULT_HUNT_SEEDS, runHuntSession } from '../src/hunt/session.js'
import { DEFAULT_HUNT_BUDGET } from '../src/plugin/hunt-option.js'
import { huntJson, huntText } from '../src/hunt/report.js'
import { InvalidArgumentError } from 'commander'
import { budgetSeconds, commandOptions, dbPath, EXIT, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  base?: string
  budget: number
  seeds?: number
  repeat: number
  config?: string
}

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('hunt')
    .description(
      'run what a change touches in targeted orders (reverse, each new test before the others, alone, seeds); fail on an order dependency the change introduced',
    )
    .option('--base <ref>', "the branch the change goes into (default: the CI's target branch, else origin/HEAD)")
    .option(
      '--budget <seconds>',
      `stop after this many seconds, a bisect under way included (default ${DEFAULT_HUNT_BUDGET})`,
      budgetSeconds,
      DEFAULT_HUNT_BUDGET,
    )
    .option(
      '--seeds <n>',
      `seeded orders after the targeted ones, budget permitting (default: up to ${DEFAULT_HUNT_SEEDS} while the hunt stays within ${DEFAULT_HUNT_COST}× a plain run of the affected files)`,
      nonNegativeInt,
    )
    .option('--repeat <k>', 'runs per bisect check of a failure found', positiveInt, DEFAULT_BISECT_REPEAT)
    .option('--config <path>', 'Vitest config file (default: Vitest’s own lookup)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: Options) => action(() => huntAction(options)))
}

export async function huntAction(options: Options): Promise<number> {
  const tty = process.stderr.isTTY && !options.json
  const session = {
    root: process.cwd(),
    config: options.config,
    base: options.base,
    budget: options.budget,
    // Seeds asked for run as the budget allows; the default's stay within the cost cap.
    ...(options.seeds === undefined ? { seeds: DEFAULT_HUNT_SEEDS, seedsWithin: DEFAULT_HUNT_COST } : { seeds: options.seeds }),
    repeat: options.repeat,
    db: dbPath(options),
    commands: commandOptions(options),
  }
  let found: Awaited<ReturnType<typeof runHuntSession>>
  try {
    found = await runHuntSession(session, process.env, (text) => tty && process.stderr.write(`\r\x1b[Kflakeseed hunt: ${text}`))
  } finally {
    if (tty) process.stderr.write('\r\x1b[K')
  }
  if ('note' in found) {
    if (options.json) printJson({ base: null, affected: { files: [], tests: [] }, runs: 0, findings: [], seconds: 0, note: found.note })
    else console.log(`flakeseed hunt: ${found.note}; nothing hunted`)
    return EXIT.ok
  }
  if (options.json) printJson(huntJson(found.result))
  else console.log(huntText(found.result))
  return found.result.findings.some((f) => f.introduced) ? EXIT.found : EXIT.ok
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number, 0 or more')
  return Number(value)
}
