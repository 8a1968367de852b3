// Writes one run to the history: the run row when it starts, each finished test file's results in
// one transaction (so a killed run keeps what finished), the final status last, or `interrupted`
// on Ctrl-C. Recording must never change the test run's outcome: the first store failure becomes
// one warning and the rest of the run goes unrecorded (what was written stays).
import { visible } from '../src/core/format.js'
import { asStoreError, type LeftFile, type ResultRow, type RunMeta, type RunStatus, Store } from '../src/store/index.js'
import { onInterrupt } from './signals.js'
import { firstLine } from '../src/core/errors.js'

export class Recorder {
  private store: Store | undefined
  private readonly pending: ResultRow[] = []
  /** The run's quarantined tests (id → reason), written with the results they came with. */
  private readonly quarantined: Record<string, string> = {}
  private quarantineChanged = false
  /** Set by the first store failure: later runs of this process (replay --repeat) skip the store too. */
  private broken = false
  private stopListening: (() => void) | undefined
  /** The run being recorded (undefined when nothing is). */
  runId: number | undefined

  constructor(
    private readonly path: string,
    /** Milliseconds a write waits for another process's lock (`busyTimeout`). */
    private readonly timeout: number,
    private readonly warn: (line: string) => void,
  ) {}

  /** Opens the store and records the run's start; `onInterrupted` runs after an interrupted run is saved. */
  begin(meta: RunMeta, onInterrupted: () => void): void {
    this.runId = undefined
    this.pending.length = 0
    for (const key of Object.keys(this.quarantined)) delete this.quarantined[key]
    this.quarantineChanged = false
    if (this.broken) return
    this.guard(() => {
      this.store = Store.open(this.path, { timeout: this.timeout })
      this.runId = this.store.beginRun(meta)
    })
    if (this.runId === undefined) return
    this.stopListening = onInterrupt(() => {
      this.end('interrupted')
      onInterrupted()
    })
  }

  add(rows: readonly ResultRow[]): void {
    if (this.store) this.pending.push(...rows)
  }

  /** Marks tests of this run as quarantined, with their reason. */
  quarantine(tests: ReadonlyArray<{ test: string; reason: string }>): void {
    for (const { test, reason } of tests) {
      if (this.quarantined[test] === reason) continue
      this.quarantined[test] = reason
      this.quarantineChanged = true
    }
  }

  /** Writes what was added since the last flush (one test file, usually) in one transaction. */
  flush(): void {
    if (!this.store || this.runId === undefined) return
    if (this.pending.length) {
      this.guard(() => {
        const clashes = this.store!.writeResults(this.runId!, this.pending)
        this.pending.length = 0
        // Never expected (ids are unique within a file): said, so it gets reported, and the run goes on.
        for (const id of clashes)
          this.warn(`flakeseed: bug: a second result for ${visible(id)} in run ${this.runId}; the first one is kept (please report this)`)
      })
    }
    if (this.store && this.quarantineChanged) {
      this.guard(() => {
        this.store!.setQuarantine(this.runId!, this.quarantined)
        this.quarantineChanged = false
      })
    }
  }

  /** The files the run's tests created and left in the project (src/run/leftovers.ts); `files` may read what earlier runs left. */
  leftFiles(files: (store: Store) => readonly LeftFile[]): void {
    if (!this.store || this.runId === undefined) return
    this.guard(() => {
      const left = files(this.store!)
      if (left.length) this.store!.setLeftFiles(this.runId!, left)
    })
  }

  /** Writes what is left and the final status; `read` may still query the store before it closes. */
  end(status: Exclude<RunStatus, 'running' | 'crashed'>, read?: (store: Store, runId: number) => void): void {
    this.stopListening?.()
    this.stopListening = undefined
    this.flush()
    if (this.store && this.runId !== undefined) {
      this.guard(() => this.store!.finishRun(this.runId!, status))
      if (this.store) read?.(this.store, this.runId)
    }
    this.store?.close()
    this.store = undefined
  }

  private guard(action: () => void): void {
    try {
      action()
    } catch (error) {
      if (!this.broken) {
        this.broken = true
        // SQLite's own messages ("database is locked") do not say which file: name it.
        const sqlite = /^SQLITE_/.test(String((error as { code?: unknown } | null)?.code ?? ''))
        const described = sqlite ? asStoreError(error, this.path, 'cannot write to') : error
        const message = firstLine(described)
        this.warn(`flakeseed: not recording this run: ${message.replace(/^flakeseed: /, '')}`)
      }
      this.store?.close()
      this.store = undefined
    }
  }
}
