// Whether the process recording a `running` run is still alive: a run killed before it could
// finish shows as `crashed`, and prune never removes a run still being recorded.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { DAY_MS } from '../core/defaults.js'

/**
 * A `running` row whose process is gone was killed before it could finish. On another host
 * (a merged CI DB) there is no process to ask: such a run is taken as alive for a day.
 */
export function isAlive(run: { host: string | null; pid: number | null; startedAt: number }): boolean {
  if (run.host !== hostname() || !run.pid) return Date.now() - run.startedAt < DAY_MS
  try {
    process.kill(run.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  // The pid may belong to a later process by now: one that started after the run did is not it.
  const started = processStart(run.pid)
  return started === undefined || started <= run.startedAt + 5_000
}

let bootTime: number | undefined
/** When a process started (ms since epoch), from /proc on Linux; undefined elsewhere. */
function processStart(pid: number): number | undefined {
  try {
    bootTime ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]) * 1000
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22, counted after the command name's closing parenthesis (the name may hold spaces).
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    // USER_HZ is 100 on every Linux Node runs on.
    return Number.isFinite(ticks) ? bootTime + ticks * 10 : undefined
  } catch {
    return undefined
  }
}
