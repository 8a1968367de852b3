// The in-run hunt's process (reporter/auto-hunt.ts forks it): a Vitest instance of its own, after
// the run's has finished. It reads its options as JSON from its one argument, runs a hunt session
// and sends the result back as one IPC message, then exits.
import { FlakeseedError, firstLine } from '../core/errors.js'
import type { HuntResult } from './hunt.js'
import { type HuntSessionOptions, runHuntSession } from './session.js'

/** What the child sends back: the hunt's result, why nothing was hunted, or one line of error. */
export type HuntChildResult = { result: HuntResult } | { note: string } | { error: string }

async function main(): Promise<HuntChildResult> {
  try {
    return await runHuntSession(JSON.parse(process.argv[2] ?? '') as HuntSessionOptions)
  } catch (error) {
    if (error instanceof FlakeseedError) return { error: firstLine(error).replace(/^flakeseed: /, '') }
    return { error: `internal error: ${firstLine(error)}` }
  }
}

const result = await main()
if (process.send) process.send(result, () => process.exit(0))
else process.exit(0)
