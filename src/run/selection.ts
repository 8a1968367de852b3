// From a recorded run to what replay and bisect execute: the executed order, the tests a user
// picked from it, the plan that runs them, and the folder and config to run it in.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { FlakeseedError } from '../core/errors.js'
import type { RecordedTest } from '../core/model.js'
import { idOf, isTypecheckProject, NAME_SEPARATOR } from '../core/names.js'
import type { Plan } from '../core/order.js'
import type { RunRow } from '../store/index.js'

/**
 * The tests that ran (passed or failed), in executed order. Skipped tests did not run; type checks
 * (tsc's, see `typecheckProject`) have no order to replay or bisect.
 */
export function recordedOrder<T extends RecordedTest>(results: readonly T[]): T[] {
  return results.filter((r) => (r.state === 'passed' || r.state === 'failed') && !isTypecheckProject(r.project))
}

/** The failed type checks among a run's results: tsc's verdicts, which no order changes. */
export function failedTypeChecks(results: readonly RecordedTest[]): number {
  return results.filter((r) => r.state === 'failed' && isTypecheckProject(r.project)).length
}

/** What to say of a run's failed type checks beside what bisect did ('' when none failed). */
export function typeChecksNote(failed: number): string {
  return failed ? `${failed} failed type check${failed === 1 ? '' : 's'} (tsc's: no order to bisect)` : ''
}

/**
 * `--only`/`--test` arguments to tests of the order: an exact id wins, else every test whose id
 * contains the argument. An argument that matches nothing is an error, not a silent no-op.
 */
export function selectTests<T extends RecordedTest>(order: readonly T[], args: readonly string[]): T[] {
  const keep = new Set<T>()
  for (const arg of args) {
    const exact = order.filter((t) => idOf(t) === arg)
    const matches = exact.length ? exact : order.filter((t) => idOf(t).includes(arg))
    if (!matches.length && namesTypeCheck(arg)) throw new FlakeseedError(`flakeseed: "${arg}" is a type check (tsc's): no order to replay or bisect`)
    if (!matches.length) throw new FlakeseedError(`flakeseed: no test of the run matches "${arg}"`)
    for (const t of matches) keep.add(t)
  }
  return order.filter((t) => keep.has(t))
}

/** Whether an argument is a type check's id: `(typecheck):file > name`, `zod (typecheck):…`. */
function namesTypeCheck(arg: string): boolean {
  const file = arg.split(NAME_SEPARATOR)[0]!
  return file.includes(':') && isTypecheckProject(file.slice(0, file.lastIndexOf(':')))
}

/** A plan running `tests` in the given order (consecutive tests of one file form one entry). */
export function planOf(tests: readonly RecordedTest[]): Plan {
  const files: Plan['files'] = []
  for (const t of tests) {
    const last = files.at(-1)
    if (last && last.project === t.project && last.file === t.file) last.tests.push(t.name)
    else files.push({ project: t.project, file: t.file, tests: [t.name] })
  }
  return { files }
}

/**
 * Where to run: the recorded root when it exists here (the same checkout), else the current
 * folder (a CI database on a laptop); the config given, else the one the run used, else
 * Vitest's own lookup.
 */
export function location(run: Pick<RunRow, 'root' | 'config'>, configOption?: string): { root: string; config?: string } {
  const root = run.root && existsSync(run.root) ? run.root : process.cwd()
  if (configOption) {
    const config = resolve(configOption)
    if (!existsSync(config)) throw new FlakeseedError(`flakeseed: config file ${configOption} does not exist`)
    return { root, config }
  }
  if (run.config && existsSync(resolve(root, run.config))) return { root, config: resolve(root, run.config) }
  return { root }
}
