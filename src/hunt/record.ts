// A hunt in the history: each finding's failing order as a run of kind `hunt` (kept out of
// `flaky`'s counts, which read runs of kind `run` only, as replays are), its finding, and the
// patch `flakeseed fix` verified for it, so `fix RUN --test VICTIM --apply` writes that patch.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type CommandOptions, fixCommand, replayCommand } from '../core/commands.js'
import { DEFAULT_FIX_SEEDS } from '../core/defaults.js'
import { firstLine } from '../core/errors.js'
import type { Finding, RecordedTest } from '../core/model.js'
import { attemptFix } from '../fix-session/attempt.js'
import { ciInfo, gitInfo } from '../plugin/environment.js'
import type { PlanExecutor } from '../run/execute.js'
import { saveFinding } from '../store/findings.js'
import { type RunMeta, Store } from '../store/index.js'
import { savePatch } from '../store/patches.js'
import type { HuntInput } from './hunt.js'

/** The run kind a hunt's runs are recorded as. */
export const HUNT_KIND = 'hunt'

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

export interface HuntRecordOptions {
  root: string
  config?: string
  /** The history file (absolute): probes never touch it. */
  db: string
  commands: CommandOptions
  executor: PlanExecutor
  /** The process environment (git's and the CI's variables for the recorded run), passed down from the entry point. */
  env: NodeJS.ProcessEnv
  /** Seeds besides the failing order under which a patch's files must pass. */
  seeds?: number
  signal?: AbortSignal
}

/**
 * `HuntInput.record` and `HuntInput.patch` with a history: a finding's failing order (or, when
 * nothing was found, the plain order) as a run of kind `hunt`, with the finding; then a patch
 * verified as `flakeseed fix` does, stored and shown with the command that applies it. A history
 * that cannot be written costs the record and the patch, not the hunt.
 */
export function huntRecorder(options: HuntRecordOptions): Pick<HuntInput, 'record' | 'patch'> {
  return {
    async record(order, finding) {
      try {
        return await recordHuntRun(options, order, finding)
      } catch (error) {
        process.stderr.write(`flakeseed: could not record the hunt in ${options.db}: ${firstLine(error)}\n`)
        return undefined
      }
    },
    async patch(finding, failing, runId, signal) {
      if (runId === undefined) return undefined
      const attempt = await attemptFix({
        root: options.root,
        config: options.config,
        run: { id: runId, seed: HUNT_KIND, isolate: options.executor.isolated },
        order: failing,
        finding,
        seeds: options.seeds ?? DEFAULT_FIX_SEEDS,
        protect: [options.db],
        baseline: options.executor,
        signal: signal ?? options.signal,
      })
      if (!('patch' in attempt)) return undefined
      withStore(options.db, (store) => savePatch(store, { runId, ...attempt.patch }))
      return { diff: attempt.patch.diff, apply: fixCommand(runId, { test: finding.victim, apply: true, ...options.commands }) }
    },
  }
}

/** An order the hunt ran, as a finished run of kind `hunt`, and the finding on it. */
async function recordHuntRun(options: HuntRecordOptions, failing: readonly RecordedTest[], finding?: Finding): Promise<number> {
  const git = await gitInfo(options.root, options.env)
  const ci = ciInfo(options.env)
  const meta: RunMeta = {
    uuid: randomUUID(),
    kind: HUNT_KIND,
    startedAt: Date.now(),
    seed: HUNT_KIND,
    seedSource: HUNT_KIND,
    commitSha: git.commitSha,
    branch: git.branch,
    dirty: git.dirty,
    ciProvider: ci.provider,
    ciUrl: ci.url,
    shard: null,
    pool: options.executor.runtime.pool,
    isolate: options.executor.isolated,
    fileParallelism: false,
    vitestVersion: options.executor.runtime.vitestVersion,
    nodeVersion: process.version,
    flakeseedVersion: VERSION,
    platform: `${process.platform}-${process.arch}`,
    argv: JSON.stringify(['hunt']),
    root: options.root,
    config: options.config ?? null,
  }
  return withStore(options.db, (store) => {
    const id = store.beginRun(meta)
    store.writeResults(
      id,
      failing.map((t) => ({ ...t, durationMs: null, retries: 0, flaky: false, error: null })),
    )
    store.finishRun(id, failing.some((t) => t.state === 'failed') ? 'failed' : 'passed')
    if (finding) saveFinding(store, id, finding, replayCommand(id, { only: [...finding.polluters, finding.victim], ...options.commands }))
    return id
  })
}

function withStore<T>(db: string, fn: (store: Store) => T): T {
  const store = Store.open(db)
  try {
    return fn(store)
  } finally {
    store.close()
  }
}
