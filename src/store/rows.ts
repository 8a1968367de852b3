// The rows the store writes and reads, as the rest of flakeseed sees them.
import type { RecordedTest, TestState } from '../core/model.js'

export type RunStatus = 'running' | 'passed' | 'failed' | 'interrupted' | 'crashed'

export interface RunMeta {
  uuid: string
  kind: string
  startedAt: number
  seed: string
  seedSource: string
  commitSha: string | null
  branch: string | null
  dirty: boolean | null
  ciProvider: string | null
  ciUrl: string | null
  shard: string | null
  pool: string | null
  isolate: boolean | null
  fileParallelism: boolean | null
  vitestVersion: string | null
  nodeVersion: string
  flakeseedVersion: string
  platform: string
  argv: string
  root: string
  config: string | null
}

/** One test's result in a run, as the reporter writes it. */
export interface ResultRow extends RecordedTest {
  durationMs: number | null
  retries: number
  flaky: boolean
  error: string | null
}

export interface RunRow extends RunMeta {
  id: number
  status: RunStatus
  finishedAt: number | null
  host: string | null
  pid: number | null
  /** The tests the run quarantined (test id → reason), null when none (or recorded before schema 4). */
  quarantine: Record<string, string> | null
}

/** A file a run's tests created that was still in the project when the run ended (path relative to the root, `/`-separated). */
export interface LeftFile {
  path: string
  size: number
  mtimeMs: number
}

export interface RunSummary {
  id: number
  uuid: string
  seed: string
  commit: string | null
  branch: string | null
  status: RunStatus
  kind: string
  passed: number
  failed: number
  skipped: number
  startedAt: string
}

/** A result as read back, with the test's row id. */
export interface StoredResult extends ResultRow {
  testId: number
}

export interface HistoryRow {
  run: number
  seed: string
  commit: string | null
  branch: string | null
  kind: string
  state: TestState
  file: string
  name: string
  project: string
  fileIndex: number
  testIndex: number
  error: string | null
  /** Passed only on a retry. */
  retried: boolean
  startedAt: string
}

export interface OpenOptions {
  /** Open an existing DB for reading only (the CLI's queries). */
  readonly?: boolean
  /** Milliseconds to wait for another writer's lock. */
  timeout?: number
  /**
   * With `readonly`: never write the file, not even to migrate it (merge sources, which may be
   * downloaded artifacts or still in use by an older flakeseed): an older schema is read from a
   * migrated temp copy.
   */
  untouched?: boolean
}
