// The in-job fix's process (reporter/auto-bisect.ts forks it after the bisect, with
// src/run/child.ts): a Vitest instance of its own that verifies a patch for each failure a stored
// finding explains (nothing is written, nothing bisected) and sends them back.
import { serveChild } from '../run/child.js'
import { type FixSessionOptions, readFixRun, runFixSession } from './session.js'

/** A patch as the job summary shows it. */
export interface JobPatch {
  victim: string
  remedy: string
  diff: string
  verified: string
}

export interface FixChildResult {
  patches: JobPatch[]
}

await serveChild(async (options: FixSessionOptions): Promise<FixChildResult> => {
  const result = await runFixSession(readFixRun(options), { ...options, bisect: false })
  return { patches: result.patches.map((p) => ({ victim: p.victim, remedy: p.summary, diff: p.diff, verified: p.verified })) }
})
