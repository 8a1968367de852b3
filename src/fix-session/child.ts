// The in-job fix's process (reporter/auto-bisect.ts forks it after the bisect): a Vitest instance
// of its own. It reads its options as JSON from its one argument, verifies a patch for each failure
// a stored finding explains (nothing is written, nothing bisected) and sends them back as one IPC
// message, then exits.
import { FlakeseedError, firstLine } from '../core/errors.js'
import { type FixSessionOptions, readFixRun, runFixSession } from './session.js'

/** A patch as the job summary shows it. */
export interface JobPatch {
  victim: string
  remedy: string
  diff: string
  verified: string
}

export type FixChildResult = { patches: JobPatch[] } | { error: string }

async function main(): Promise<FixChildResult> {
  try {
    const options = JSON.parse(process.argv[2] ?? '') as FixSessionOptions
    const result = await runFixSession(readFixRun(options), { ...options, bisect: false })
    return { patches: result.patches.map((p) => ({ victim: p.victim, remedy: p.summary, diff: p.diff, verified: p.verified })) }
  } catch (error) {
    if (error instanceof FlakeseedError) return { error: firstLine(error).replace(/^flakeseed: /, '') }
    return { error: `internal error: ${firstLine(error)}` }
  }
}

const result = await main()
if (process.send) process.send(result, () => process.exit(0))
else process.exit(0)
