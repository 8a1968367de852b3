// The end-of-run bisect's process (reporter/auto-bisect.ts forks it with src/run/child.ts): a
// Vitest instance of its own, after the run's has finished, running one bisect session and sending
// back its findings.
import { serveChild } from '../run/child.js'
import { reportOf, type BisectReport } from './report.js'
import { type BisectSessionOptions, runBisectSession } from './session.js'

/** What the child sends back: the findings as `bisect --json` shapes them. */
export interface ChildResult {
  findings: BisectReport[]
  left: Array<{ test: string; why: string }>
  /** The session's notes (files moved aside and put back, ones taken as the user's): this process's stderr is nobody's to read. */
  notes: string[]
}

await serveChild(async (options: BisectSessionOptions): Promise<ChildResult> => {
  const notes: string[] = []
  const result = await runBisectSession(options, { note: (line) => notes.push(line) })
  return { findings: result.findings.map(reportOf), left: result.left, notes }
})
