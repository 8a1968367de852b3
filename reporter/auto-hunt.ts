// `flakeseed hunt` in the CI job itself (the `hunt` option, `FLAKESEED_HUNT`): after the run, the
// library's hunt session in a process of its own (src/hunt/child.ts, forked by src/run/child.ts: a
// Vitest instance of its own), which sends its result back as data, as the in-job bisect does.
import { fileURLToPath } from 'node:url'
import type { HuntChildResult } from '../src/hunt/child.js'
import type { HuntSessionOptions } from '../src/hunt/session.js'
import { type ChildAnswer, runChild } from '../src/run/child.js'

const CHILD = fileURLToPath(new URL('../src/hunt/child.js', import.meta.url))
/** Beyond the budget (a deadline the hunt stops its bisects and patches at), time for the run in flight to end and the instance to close. */
const GRACE_MS = 60_000

export function autoHunt(session: HuntSessionOptions, env: NodeJS.ProcessEnv): Promise<ChildAnswer<HuntChildResult>> {
  return runChild<HuntChildResult>(CHILD, session, { cwd: session.root, env, timeoutMs: session.budget * 1000 + GRACE_MS })
}
