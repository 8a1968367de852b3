// Bisect in the failing CI job itself (the `bisect` option): after the run is recorded, the
// failures the history does not explain yet are bisected by `flakeseed bisect --new --budget`,
// in a process of its own (a Vitest instance of its own, after this one has finished its run),
// and what it found is printed after Vitest's summary and added to the job summary. It never
// changes the run's exit code, and never runs longer than the budget (plus a grace to close).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { BisectReport } from '../src/bisect/report.js'

const CLI = fileURLToPath(new URL('../cli/index.js', import.meta.url))
/** Beyond the budget, time for the bisect to print what it has and close its Vitest instance. */
const GRACE_MS = 30_000

export interface AutoBisect {
  findings: BisectReport[]
  left: Array<{ test: string; why: string }>
  /** Set when the bisect itself could not run or answer (one warning line). */
  error?: string
  /** The patches verified for what it found (`fix`), with the command that applies them. */
  patches?: JobPatch[]
  apply?: string
}

export function autoBisect(options: { root: string; runId: number; db: string; budget: number }): Promise<AutoBisect> {
  const args = ['bisect', String(options.runId), '--new', '--budget', String(options.budget), '--json', '--db', options.db]
  return runCli(args, options.root, options.budget * 1000 + GRACE_MS).then(({ stdout, stderr, code, error }) => {
    if (error) return { findings: [], left: [], error }
    try {
      const parsed = JSON.parse(stdout) as { findings: BisectReport[]; left: AutoBisect['left'] }
      return { findings: parsed.findings, left: parsed.left }
    } catch {
      return { findings: [], left: [], error: firstLine(stderr, code) }
    }
  })
}

/** A patch `flakeseed fix` verified in this job. */
export interface JobPatch {
  victim: string
  remedy: string
  diff: string
  verified: string
}

/**
 * After the bisect: the failures it explained get their patch (`fix --no-bisect`: verified, never
 * written), within what is left of the budget; a fix cut short by it shows nothing.
 */
export function autoFix(options: { root: string; runId: number; db: string; seconds: number }): Promise<{ patches: JobPatch[]; error?: string }> {
  const args = ['fix', String(options.runId), '--no-bisect', '--json', '--db', options.db]
  return runCli(args, options.root, options.seconds * 1000).then(({ stdout, stderr, code, error }) => {
    if (error) return { patches: [], error }
    try {
      return { patches: (JSON.parse(stdout) as { patches: JobPatch[] }).patches }
    } catch {
      return { patches: [], error: code === null ? 'cut by the budget' : firstLine(stderr, code) }
    }
  })
}

/** The flakeseed CLI in a process of its own, killed after `timeoutMs`. */
function runCli(args: string[], root: string, timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null; error?: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env }
  // This process is Vitest's: its variables would tell the CLI's own Vitest it runs inside a worker.
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID') delete env[key]
  delete env.FLAKESEED_SEED
  return new Promise((done) => {
    let stdout = ''
    let stderr = ''
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', (error) => {
      clearTimeout(timer)
      done({ stdout, stderr, code: null, error: error.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ stdout, stderr, code })
    })
  })
}

function firstLine(stderr: string, code: number | null): string {
  const line = stderr.split('\n').find((l) => l.trim()) ?? `exit code ${code}`
  return line.replace(/^flakeseed: /, '')
}
