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
}

export function autoBisect(options: { root: string; runId: number; db: string; budget: number }): Promise<AutoBisect> {
  const args = [CLI, 'bisect', String(options.runId), '--new', '--budget', String(options.budget), '--json', '--db', options.db]
  const env: NodeJS.ProcessEnv = { ...process.env }
  // This process is Vitest's: its variables would tell the bisect's own Vitest it runs inside a worker.
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID') delete env[key]
  delete env.FLAKESEED_SEED
  return new Promise((done) => {
    let stdout = ''
    let stderr = ''
    const child = spawn(process.execPath, args, { cwd: options.root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.budget * 1000 + GRACE_MS)
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', (error) => {
      clearTimeout(timer)
      done({ findings: [], left: [], error: error.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      try {
        const parsed = JSON.parse(stdout) as { findings: BisectReport[]; left: AutoBisect['left'] }
        done({ findings: parsed.findings, left: parsed.left })
      } catch {
        const line = stderr.split('\n').find((l) => l.trim()) ?? `exit code ${code}`
        done({ findings: [], left: [], error: line.replace(/^flakeseed: /, '') })
      }
    })
  })
}
