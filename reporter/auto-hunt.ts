// `flakeseed hunt` in the CI job itself (the `hunt` option, `FLAKESEED_HUNT`): after the run, the
// library's hunt session in a process of its own (src/hunt/child.ts: a Vitest instance of its
// own), which sends its result back as data, as the in-job bisect does.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { HuntChildResult } from '../src/hunt/child.js'
import type { HuntSessionOptions } from '../src/hunt/session.js'

const CHILD = fileURLToPath(new URL('../src/hunt/child.js', import.meta.url))
/** Beyond the budget, time for the hunt to finish the bisect under way and close its Vitest instance. */
const GRACE_MS = 60_000

export function autoHunt(session: HuntSessionOptions, env: NodeJS.ProcessEnv): Promise<HuntChildResult> {
  return new Promise((done) => {
    let stderr = ''
    let answer: HuntChildResult | undefined
    // No execArgv of Vitest's process: the hunt's Vitest starts as a plain `node` would.
    const child = fork(CHILD, [JSON.stringify(session)], { cwd: session.root, env: childEnv(env), execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), session.budget * 1000 + GRACE_MS)
    child.stderr?.on('data', (d) => (stderr += d))
    child.on('message', (message) => (answer = message as HuntChildResult))
    child.on('error', (error) => {
      clearTimeout(timer)
      done({ error: error.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      const line = stderr.split('\n').find((l) => l.trim()) ?? `exit code ${code}`
      done(answer ?? { error: line.replace(/^flakeseed: /, '') })
    })
  })
}

/** This process is Vitest's: its variables would tell the hunt's own Vitest it runs inside a worker. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...env }
  for (const key of Object.keys(copy)) if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID') delete copy[key]
  delete copy.FLAKESEED_SEED
  delete copy.FLAKESEED_HUNT
  return copy
}
