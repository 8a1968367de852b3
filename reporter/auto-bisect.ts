// Bisect in the failing CI job itself (the `bisect` option): after the run is recorded, the
// failures the history does not explain yet are bisected (`bisect --new --budget`) by the
// library's bisect session in a process of its own (src/bisect/child.ts: a Vitest instance of its
// own, after this one has finished its run), which sends its findings back as data. They are
// printed after Vitest's summary and added to the job summary. It never changes the run's exit
// code, and never runs longer than the budget (plus a grace to close).
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildResult } from '../src/bisect/child.js'
import type { BisectReport } from '../src/bisect/report.js'
import { type BisectSessionOptions, defaultJobs } from '../src/bisect/session.js'
import type { CommandOptions } from '../src/core/commands.js'
import { DEFAULT_BISECT_REPEAT } from '../src/core/defaults.js'
import { busyTimeout } from '../src/store/index.js'

const CHILD = fileURLToPath(new URL('../src/bisect/child.js', import.meta.url))
/** Beyond the budget, time for the bisect to send what it has and close its Vitest instance. */
const GRACE_MS = 30_000

export interface AutoBisect {
  findings: BisectReport[]
  left: Array<{ test: string; why: string }>
  /** Set when the bisect itself could not run or answer (one warning line). */
  error?: string
}

export interface AutoBisectOptions {
  root: string
  runId: number
  db: string
  budget: number
  /** What the printed commands share (`--db`, the launcher). */
  commands: CommandOptions
  /** The environment of this process (Vitest's): the bisect's own Vitest gets it without Vitest's markers. */
  env: NodeJS.ProcessEnv
}

export function autoBisect(options: AutoBisectOptions): Promise<AutoBisect> {
  const session: BisectSessionOptions = {
    ref: String(options.runId),
    db: options.db,
    dbTimeout: busyTimeout(options.env),
    new: true,
    budget: options.budget,
    repeat: DEFAULT_BISECT_REPEAT,
    cleaners: false,
    diagnose: true,
    jobs: defaultJobs(),
    commands: options.commands,
  }
  return new Promise((done) => {
    let stderr = ''
    let answer: ChildResult | undefined
    // No execArgv of Vitest's process: the bisect's Vitest starts as a plain `node` would.
    const child = fork(CHILD, [JSON.stringify(session)], {
      cwd: options.root,
      env: childEnv(options.env),
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.budget * 1000 + GRACE_MS)
    child.stderr?.on('data', (d) => (stderr += d))
    child.on('message', (message) => (answer = message as ChildResult))
    child.on('error', (error) => {
      clearTimeout(timer)
      done({ findings: [], left: [], error: error.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (answer && 'error' in answer) done({ findings: [], left: [], error: answer.error })
      else if (answer) done({ findings: answer.findings, left: answer.left })
      else {
        const line = stderr.split('\n').find((l) => l.trim()) ?? `exit code ${code}`
        done({ findings: [], left: [], error: line.replace(/^flakeseed: /, '') })
      }
    })
  })
}

/** This process is Vitest's: its variables would tell the bisect's own Vitest it runs inside a worker. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy: NodeJS.ProcessEnv = { ...env }
  for (const key of Object.keys(copy)) if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID') delete copy[key]
  delete copy.FLAKESEED_SEED
  return copy
}
