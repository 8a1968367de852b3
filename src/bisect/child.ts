// The end-of-run bisect's process (reporter/auto-bisect.ts forks it): a Vitest instance of its
// own, after the run's has finished. It reads its options as JSON from its one argument, runs a
// bisect session and sends the result back as one IPC message, then exits (a probe Ctrl-C or the
// budget cut short may leave Vitest's timers behind).
import { FlakeseedError, firstLine } from '../core/errors.js'
import { reportOf, type BisectReport } from './report.js'
import { type BisectSessionOptions, runBisectSession } from './session.js'

/** What the child sends back: the findings as `bisect --json` shapes them, or one line of error. */
export type ChildResult = { findings: BisectReport[]; left: Array<{ test: string; why: string }> } | { error: string }

async function main(): Promise<ChildResult> {
  try {
    const options = JSON.parse(process.argv[2] ?? '') as BisectSessionOptions
    const result = await runBisectSession(options)
    return { findings: result.findings.map(reportOf), left: result.left }
  } catch (error) {
    if (error instanceof FlakeseedError) return { error: firstLine(error).replace(/^flakeseed: /, '') }
    return { error: `internal error: ${firstLine(error)}` }
  }
}

const result = await main()
if (process.send) process.send(result, () => process.exit(0))
else process.exit(0)
