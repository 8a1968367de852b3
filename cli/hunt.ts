import { DEFAULT_HUNT_COST, DEFAULT_HUNT_SEEDS, runHuntSession } from '../src/hunt/session.js'
import { huntJson, huntText } from '../src/hunt/report.js'
import { commandOptions, dbPath, EXIT, printJson, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  base?: string
  budget: number
  seeds?: number
  repeat: number
  config?: string
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
