// The in-run hunt's process (reporter/auto-hunt.ts forks it with src/run/child.ts): a Vitest
// instance of its own, after the run's has finished, running one hunt session and sending back
// its result. The entry point: the environment is read here and passed down.
import { serveChild } from '../run/child.js'
import type { HuntResult } from './hunt.js'
import { type HuntSessionOptions, runHuntSession } from './session.js'

/** What the child sends back: the hunt's result, or why nothing was hunted. */
export type HuntChildResult = { result: HuntResult } | { note: string }

await serveChild((options: HuntSessionOptions): Promise<HuntChildResult> => runHuntSession(options, process.env))
