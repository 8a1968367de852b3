// Vitest and the flakeseed CLI run inside the test's own process, as pytest's pytester runs pytest:
// no node start, no module loading per run (spawning `node vitest.mjs run` costs about a second a
// run, and the suite runs Vitest some hundred times). What a user sees is the same: the output
// Vitest's logger writes, the exit code, the rows recorded. `FLAKESEED_TEST_SPAWN=1` runs every
// one of them as a child process again (the helpers in project.ts keep one API for both).
//
// A run borrows the process's global state (cwd, env, argv, console, exit code) and gives it back:
// one run at a time (`serial`), and everything restored in a finally, so nothing leaks into the
// next test (our suite runs shuffled).
import { Console } from 'node:console'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { stripVTControlCharacters } from 'node:util'

export interface Captured {
  code: number | null
  stdout: string
  stderr: string
  output: string
  /** stdout and stderr in the order they were written, as one file or a terminal would hold them. */
  terminal: string
}

/** Tests run in process unless FLAKESEED_TEST_SPAWN=1. */
export const IN_PROCESS = process.env.FLAKESEED_TEST_SPAWN !== '1'

let queue: Promise<unknown> = Promise.resolve()

/** One borrowed-globals run at a time. */
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn)
  queue = next.catch(() => undefined)
  return next
}

class Sink extends Writable {
  text = ''
  constructor(private readonly both: { text: string }) {
    super()
  }
  // Vitest pipes each worker's output into its stdout, and a pipe ends its destination when the
  // worker exits: like process.stdout, this stream outlives its writers.
  override end(): this {
    return this
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString()
    this.both.text += chunk.toString()
    done()
  }
}

/**
 * Runs `fn` with cwd, env, argv, console, stdout/stderr writes and the exit code borrowed;
 * everything written is captured and every global is put back, whatever `fn` does.
 */
export function borrowGlobals(
  cwd: string,
  env: NodeJS.ProcessEnv,
  argv: string[],
  fn: (out: Sink, err: Sink) => Promise<number | undefined>,
): Promise<Captured> {
  return serial(async () => {
    const both = { text: '' }
    const out = new Sink(both)
    const err = new Sink(both)
    const saved = {
      cwd: process.cwd(),
      env: { ...process.env },
      argv: process.argv,
      console: globalThis.console,
      exitCode: process.exitCode,
      stdoutWrite: process.stdout.write,
      stderrWrite: process.stderr.write,
      exit: process.exit,
    }
    let code: number | null = 0
    try {
      process.chdir(cwd)
      for (const key of Object.keys(process.env)) delete process.env[key]
      Object.assign(process.env, env)
      process.argv = argv
      process.exitCode = undefined
      globalThis.console = new Console({ stdout: out, stderr: err })
      process.stdout.write = out.write.bind(out) as typeof process.stdout.write
      process.stderr.write = err.write.bind(err) as typeof process.stderr.write
      process.exit = ((c?: number) => {
        throw new Error(`process.exit(${c}) called in an in-process run`)
      }) as typeof process.exit
      const returned = await fn(out, err)
      code = returned ?? Number(process.exitCode ?? 0)
    } catch (error) {
      err.write(`${(error as Error)?.stack ?? String(error)}\n`)
      code = 1
    } finally {
      process.chdir(saved.cwd)
      for (const key of Object.keys(process.env)) delete process.env[key]
      Object.assign(process.env, saved.env)
      process.argv = saved.argv
      globalThis.console = saved.console
      process.stdout.write = saved.stdoutWrite
      process.stderr.write = saved.stderrWrite
      process.exit = saved.exit
      process.exitCode = saved.exitCode
    }
    // Vitest's colours were chosen when this process loaded it; a user's NO_COLOR=1 run has none.
    const stdout = stripVTControlCharacters(out.text)
    const stderr = stripVTControlCharacters(err.text)
    return { code, stdout, stderr, output: `${stdout}\n${stderr}`, terminal: stripVTControlCharacters(both.text) }
  })
}

let cliRuns = 0

/**
 * `node dist/cli/index.js ...args` in this process: the entry module is evaluated afresh (a new
 * commander program parsing process.argv), the modules under it are shared.
 */
export function cliInProcess(cli: string, cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Captured> {
  return borrowGlobals(cwd, env, [process.execPath, cli, ...args], async () => {
    await import(/* @vite-ignore */ `${pathToFileURL(cli).href}?run=${++cliRuns}`)
    return undefined
  })
}

/**
 * `vitest run ...args` in this process through Vitest's own API (`parseCLI`, `startVitest`, as its
 * CLI does), its logger writing into the captured streams.
 */
export function vitestInProcess(repo: string, cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Captured> {
  return borrowGlobals(cwd, env, [process.execPath, join(repo, 'node_modules/vitest/vitest.mjs'), 'run', ...args], async (out, err) => {
    const { parseCLI, startVitest } = await import('vitest/node')
    const { filter, options } = parseCLI(['vitest', 'run', ...args])
    try {
      const vitest = await startVitest('test', filter, { ...options, root: options.root ?? cwd, watch: false }, {}, { stdout: out, stderr: err })
      await vitest.close()
    } catch (error) {
      // What Vitest's CLI prints for an error before the run starts (a config that throws).
      err.write(`\n⎯⎯⎯⎯⎯⎯⎯ Startup Error ⎯⎯⎯⎯⎯⎯⎯⎯\n${(error as Error)?.stack ?? String(error)}\n\n\n`)
      if (process.exitCode == null) process.exitCode = 1
    }
    return undefined
  })
}
