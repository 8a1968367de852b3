// A library entry in a process of its own: the in-job bisect, fix and hunt each need a fresh Vitest
// instance after the run's own has finished. The parent forks the entry with its input as JSON (one
// argument), the entry answers with one IPC message (its result, or one line of error) and exits;
// the parent kills it at a deadline. Both sides live here, so the protocol has one owner.
import { fork } from 'node:child_process'
import { FlakeseedError, firstLine } from '../core/errors.js'

/** What a child answers: its result, or one line saying why there is none. */
export type ChildAnswer<T> = T | { error: string }

export interface ChildOptions {
  cwd: string
  /** The parent's environment (Vitest's): the child gets it without the variables below. */
  env: NodeJS.ProcessEnv
  /** The child is killed after this long; its answer, if it sent one, still counts. */
  timeoutMs: number
}

/**
 * At the deadline the child gets SIGTERM first, so it can put back the files it moved out of the
 * project (src/run/leftovers.ts) and exit; SIGKILL follows this long after if it has not.
 */
export const KILL_GRACE_MS = 5000

/**
 * Runs `entry` (a compiled module calling `serveChild`) on `input` and resolves with its answer;
 * never rejects. A child that sends nothing answers with the first line it wrote to stderr, or
 * with why it stopped.
 */
export function runChild<T extends object>(entry: string, input: unknown, options: ChildOptions): Promise<ChildAnswer<T>> {
  return new Promise((done) => {
    let stderr = ''
    let answer: ChildAnswer<T> | undefined
    let killed = false
    // No execArgv of Vitest's process: the child's Vitest starts as a plain `node` would.
    const child = fork(entry, [JSON.stringify(input)], {
      cwd: options.cwd,
      env: childEnv(options.env),
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    let hardKill: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      killed = true
      child.kill('SIGTERM')
      hardKill = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS)
    }, options.timeoutMs)
    child.stderr?.on('data', (d) => (stderr += d))
    child.on('message', (message) => (answer = message as ChildAnswer<T>))
    child.on('error', (error) => {
      clearTimeout(timer)
      clearTimeout(hardKill)
      done({ error: error.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      clearTimeout(hardKill)
      if (answer) return done(answer)
      const line = killed ? 'cut by the budget' : (stderr.split('\n').find((l) => l.trim()) ?? `exit code ${code}`)
      done({ error: line.replace(/^flakeseed: /, '') })
    })
  })
}

/** This process is Vitest's: its variables would tell the child's own Vitest it runs inside a worker, under this run's seed, or hunting. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...env }
  for (const key of Object.keys(copy)) if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID') delete copy[key]
  delete copy.FLAKESEED_SEED
  delete copy.FLAKESEED_HUNT
  return copy
}

/**
 * The child's side: reads the input from the one argument, sends `main`'s result (or one line of
 * error) back as one IPC message, then exits (a probe cut short may leave Vitest's timers behind).
 */
export async function serveChild<I, T extends object>(main: (input: I) => Promise<T>): Promise<void> {
  let result: ChildAnswer<T>
  try {
    result = await main(JSON.parse(process.argv[2] ?? '') as I)
  } catch (error) {
    result = { error: error instanceof FlakeseedError ? firstLine(error).replace(/^flakeseed: /, '') : `internal error: ${firstLine(error)}` }
  }
  if (process.send) process.send(result, () => process.exit(0))
  else process.exit(0)
}
