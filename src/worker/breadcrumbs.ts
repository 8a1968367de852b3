// Breadcrumbs: how a worker that dies mid-file still tells which test it was running. Each
// worker keeps a log of its current file in the run's breadcrumb folder, one JSON line when a
// test starts (`{file, name, index}`) and one when it ends (`{end, state}`), written
// synchronously so they survive a SIGKILL; the log starts over with every file. The reporter
// reads the logs at the end of a run that may have lost a worker. A test whose sibling test runs
// next (nothing of the user's runs between them) has its end written with that sibling's start:
// one write a test. Writer and reader of the format live here together.
import { ftruncateSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs'

/** One worker's log of its current file (runs in the worker). Never throws: it is a diagnosis aid. */
export class BreadcrumbWriter {
  private fd: number | undefined
  private file: string | undefined
  private position = 0
  /** The end line of a test whose sibling starts next, written with that start. */
  private pending = ''

  /** `worker` names the log file: the process (and thread) running the tests. */
  constructor(
    private readonly dir: string,
    private readonly worker: string,
  ) {}

  started(file: string | undefined, name: string | undefined, index: number | undefined): void {
    try {
      this.fd ??= openSync(`${this.dir}/${this.worker}`, 'w')
      if (file !== this.file) {
        ftruncateSync(this.fd, 0)
        this.position = 0
        this.file = file
        this.pending = ''
      }
      this.append(`${JSON.stringify({ file, name, index })}\n`)
    } catch {
      // Never let a breadcrumb affect the test.
    }
  }

  /**
   * A test ended. `siblingNext`: the next thing this worker runs is the start of a sibling test
   * (no hook, no suite in between), so the end waits for that start, or for `flush`.
   */
  ended(index: number, state: string | undefined, siblingNext = false): void {
    if (this.file === undefined) return
    const line = `${JSON.stringify({ end: index, state })}\n`
    if (siblingNext) this.pending = line
    else this.append(line)
  }

  /** The sibling that came next does not run (skipped): the end it was to carry is written now. */
  flush(): void {
    if (this.pending) this.append('')
  }

  /** Writes `lines` after the pending end, if any, in one write. */
  private append(lines: string): void {
    if (this.fd === undefined) return
    const text = this.pending + lines
    this.pending = ''
    try {
      this.position += writeSync(this.fd, text, this.position)
    } catch {
      // As above: diagnosis only.
    }
  }
}

export interface BreadcrumbLog {
  /** The worker that wrote it (the log's file name). */
  worker: string
  /** Absolute path of the test file the worker was running. */
  file: string
  /** Tests that ended, in order, with Vitest's task state (`pass`, `fail`, `skip`). */
  finished: Array<{ name: string; index: number; state?: string }>
  /** The test that started and never ended: the one running when the worker died. */
  running?: { name: string; index: number }
}

/** Every worker's log in `dir` (main process). Unreadable files and lines cut by a crash are skipped. */
export function readBreadcrumbs(dir: string): BreadcrumbLog[] {
  const logs: BreadcrumbLog[] = []
  for (const worker of entries(dir)) {
    let text: string
    try {
      text = readFileSync(`${dir}/${worker}`, 'utf8')
    } catch {
      continue
    }
    const log = parseBreadcrumbs(worker, text)
    if (log) logs.push(log)
  }
  return logs
}

export function parseBreadcrumbs(worker: string, text: string): BreadcrumbLog | undefined {
  let log: BreadcrumbLog | undefined
  for (const line of text.split('\n')) {
    let entry: { file?: string; name?: string; index?: number; end?: number; state?: string }
    try {
      entry = JSON.parse(line)
    } catch {
      continue // the empty last line, or a line cut by the crash
    }
    if (entry.file !== undefined && entry.name !== undefined && entry.index !== undefined) {
      log ??= { worker, file: entry.file, finished: [] }
      log.running = { name: entry.name, index: entry.index }
    } else if (log?.running && entry.end === log.running.index) {
      log.finished.push({ ...log.running, state: entry.state })
      log.running = undefined
    }
  }
  return log
}

/** Breadcrumbs are per run: workers are fresh each run, and a stale one would name a wrong test. */
export function clearBreadcrumbs(dir: string | undefined): void {
  if (!dir) return
  // One unlink a log (rmSync goes through its recursive remover for every path).
  for (const entry of entries(dir)) {
    try {
      unlinkSync(`${dir}/${entry}`)
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error // as rmSync's `force` does
    }
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
