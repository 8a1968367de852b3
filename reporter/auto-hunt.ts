// `flakeseed hunt` in the CI job itself (the `hunt` option, `FLAKESEED_HUNT`): after the run,
// in a process of its own (a Vitest instance of its own), as the in-job bisect runs. What it found
// is printed after Vitest's summary and added to the job summary; an order dependency the change
// introduced fails the run unless `hunt.fail` is false. Nothing else changes the exit code.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { HuntResult } from '../src/hunt/hunt.js'

const CLI = fileURLToPath(new URL('../cli/index.js', import.meta.url))
/** Beyond the budget, time for the hunt to finish the bisect under way and close its Vitest instance. */
const GRACE_MS = 60_000

export type AutoHunt = { result: HuntResult } | { note: string } | { error: string }

export function autoHunt(options: { root: string; base?: string; budget: number; db: string | false }): Promise<AutoHunt> {
  const args = [CLI, 'hunt', '--budget', String(options.budget), '--json', ...(options.base ? ['--base', options.base] : [])]
  if (options.db !== false) args.push('--db', options.db)
  const env: NodeJS.ProcessEnv = { ...process.env }
  // This process is Vitest's: its variables would tell the hunt's own Vitest it runs inside a worker.
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID') delete env[key]
  delete env.FLAKESEED_SEED
  delete env.FLAKESEED_HUNT
  return new Promise((done) => {
    let stdout = ''
    let stderr = ''
    const child = spawn(process.execPath, args, { cwd: options.root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.budget * 1000 + GRACE_MS)
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', (error) => {
      clearTimeout(timer)
      done({ error: error.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      try {
        const parsed = JSON.parse(stdout) as HuntResult & { note?: string }
        done(parsed.note ? { note: parsed.note } : { result: parsed })
      } catch {
        const line = stderr.split('\n').find((l) => l.trim()) ?? `exit code ${code}`
        done({ error: line.replace(/^flakeseed: /, '') })
      }
    })
  })
}
