// From a recorded run to what replay and bisect execute: the executed order, a subset of it,
// and the folder and config to run it in.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Ordered } from './bisector.js'
import { idOf } from './bisector.js'
import { FlakeseedError } from './options.js'
import type { RunRow, StoredResult } from './store/index.js'

/** The tests that ran (passed or failed), in executed order. Skipped tests did not run. */
export function recordedOrder(results: readonly StoredResult[]): Ordered[] {
  return results.filter((r) => r.state === 'passed' || r.state === 'failed')
}

/**
 * `--only`/`--test` arguments to tests of the order: an exact id wins, else every test whose id
 * contains the argument. An argument that matches nothing is an error, not a silent no-op.
 */
export function selectTests(order: readonly Ordered[], args: readonly string[]): Ordered[] {
  const keep = new Set<Ordered>()
  for (const arg of args) {
    const exact = order.filter((t) => idOf(t) === arg)
    const matches = exact.length ? exact : order.filter((t) => idOf(t).includes(arg))
    if (!matches.length) throw new FlakeseedError(`flakeseed: no test of the run matches "${arg}"`)
    for (const t of matches) keep.add(t)
  }
  return order.filter((t) => keep.has(t))
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
