// The files a recorded run's tests created and left in the project. A test that writes
// `leftover.txt` makes a later test fail; the file stays after the run, and a bisect that found it
// there would see the victim fail alone and call it "not order-dependent". So the run's workers
// note the paths their tests create (src/worker/writes.ts), the reporter stores those still there
// at the end with their size and mtime (`leftFiles`, `runs.left_files`), and a bisect moves them
// aside while its probes run and puts them back at the end (`moveAside`): only the ones unchanged
// since the run (same size and mtime; a changed one is the user's now). A later recorded run (a
// replay, a CI run) may have rewritten what the run left: what it left is taken too, each path as
// its newest record has it (`leftSince`). bisect, fix, fix --all, hunt and replay --repeat all do
// this. Writer and reader here.
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Store } from '../store/index.js'
import type { LeftFile } from '../store/rows.js'
import { notedIn, readRewrites, readWrites } from '../worker/writes.js'
import { SOURCE } from './probe-files.js'

/** At most this many are stored per run: a suite that leaves thousands of files is not made slower to record. */
const MAX_FILES = 1000
const SNAPSHOT = /(?:^|\/)__snapshots__\/|\.snap$/

/**
 * The files the workers noted creating (`notes`, the run's folder of notes) that are still regular
 * files under `root` now; never snapshots, sources, or anything under node_modules or .git. A file
 * that was there before the tests wrote it counts only when an earlier recorded run's tests left
 * it (`earlier`, asked only then): a replay that rewrites what run 6 left records it as it left it.
 */
export function leftFiles(notes: string, root: string, earlier: () => ReadonlySet<string> = () => new Set()): LeftFile[] {
  const files: LeftFile[] = []
  const rewritten = notedIn(readRewrites(notes), root)
  const known = rewritten.length ? earlier() : new Set<string>()
  const paths = [...notedIn(readWrites(notes), root), ...rewritten.filter((path) => known.has(path))]
  for (const path of [...new Set(paths)].sort()) {
    if (files.length >= MAX_FILES) break
    if (SNAPSHOT.test(path) || SOURCE.test(path) || /^(?:node_modules|\.git)(?:\/|$)/.test(path)) continue
    try {
      const stat = lstatSync(join(root, path), { throwIfNoEntry: false })
      if (stat?.isFile()) files.push({ path, size: stat.size, mtimeMs: stat.mtimeMs })
    } catch {
      // A file that cannot be looked at is not stored: it will not be moved either.
    }
  }
  return files
}

/** A left file with the run that recorded it. */
export interface RecordedLeft extends LeftFile {
  run: number
  /**
   * Older records of the same path, newest first: the file as one of them has it is a run's too
   * (`replay --repeat` records each repeat's file, then puts back the one the repeats found).
   */
  older?: Array<LeftFile & { run: number }>
}

/**
 * The files recorded runs left, each path as the newest run that recorded it left it (`records`
 * oldest first, as `Store.leftFilesSince` reads them): a replay that rewrote a file a run left
 * recorded it again, with its new mtime. The older records of a path come with it.
 */
export function newestLeft(records: ReadonlyArray<{ run: number; files: readonly LeftFile[] }>): RecordedLeft[] {
  const newest = new Map<string, RecordedLeft>()
  for (const { run, files } of records) {
    for (const file of files) {
      const before = newest.get(file.path)
      const older = before ? [{ path: before.path, size: before.size, mtimeMs: before.mtimeMs, run: before.run }, ...(before.older ?? [])] : []
      newest.set(file.path, { ...file, run, ...(older.length ? { older } : {}) })
    }
  }
  return [...newest.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** The store's reads `leftSince` needs. */
export interface LeftStore {
  leftFilesSince(root: string, fromRun: number): Array<{ run: number; files: LeftFile[] }>
  leftFiles(runId: number): LeftFile[]
}

/**
 * What the tests of `runs` (a run, or a run's shards) and of every later recorded run of the same
 * project root left (the newest record of a path wins): what a probe of them must not find. One query.
 */
export function leftSince(store: LeftStore, runs: ReadonlyArray<{ id: number; root: string | null }>): RecordedLeft[] {
  const root = runs[0]?.root
  // A run recorded without its root: only its own record can be trusted to be of this project.
  if (!root) return newestLeft(runs.map((run) => ({ run: run.id, files: store.leftFiles(run.id) })))
  return newestLeft(store.leftFilesSince(root, Math.min(...runs.map((run) => run.id))))
}

/** A file `putBack` did not put back: someone made another at its path meanwhile; ours is at `aside`. */
export interface KeptAside {
  path: string
  aside: string
}

/** The recorded run's files moved out of the project while probes run. */
export interface MovedAside {
  /** Paths (relative) moved aside. */
  readonly moved: readonly string[]
  /** The runs whose records the moved files matched, ascending (empty when the files carry none). */
  readonly runs: readonly number[]
  /** Files a recorded run left that are there but changed since (the user's now): not moved. */
  readonly changed: ReadonlyArray<{ path: string; run?: number }>
  /** Puts them back (once; also on exit): a path someone wrote meanwhile keeps theirs. */
  putBack(): KeptAside[]
  /** Drops them instead (once): what a repeat left, which the next repeat must not find and nobody had before it. */
  discard(): void
}

/**
 * Moves the run's left files that are unchanged since the run (same size and mtime) into a temp
 * folder; put back on `putBack()`, or when the process exits first (a second Ctrl-C). `signals`:
 * for a command with no Ctrl-C handling of its own (bisect has one), SIGINT and SIGTERM put them
 * back and end the process as the signal would have (exit 130, 143).
 */
export function moveAside(
  root: string,
  files: ReadonlyArray<LeftFile & { run?: number; older?: RecordedLeft['older'] }>,
  { signals = false } = {},
): MovedAside {
  const unchanged: Array<LeftFile & { run?: number }> = []
  const changed: Array<{ path: string; run?: number }> = []
  for (const file of files) {
    let stat: ReturnType<typeof lstatSync>
    try {
      stat = lstatSync(join(root, file.path), { throwIfNoEntry: false })
    } catch {
      continue
    }
    // As the newest record has it, or as an older one does: a run's file either way.
    const record = [file, ...(file.older ?? [])].find((r) => stat?.isFile() && stat.size === r.size && sameTime(stat.mtimeMs, r.mtimeMs))
    if (record) unchanged.push({ path: file.path, size: record.size, mtimeMs: record.mtimeMs, ...(record.run === undefined ? {} : { run: record.run }) })
    else if (stat) changed.push({ path: file.path, ...(file.run === undefined ? {} : { run: file.run }) })
  }
  if (!unchanged.length) return { moved: [], runs: [], changed, putBack: () => [], discard: () => {} }
  const folder = mkdtempSync(join(tmpdir(), 'flakeseed-aside-'))
  const moved: Array<{ path: string; aside: string; run?: number }> = []
  for (const [i, file] of unchanged.entries()) {
    const aside = join(folder, String(i))
    if (move(join(root, file.path), aside)) moved.push({ path: file.path, aside, run: file.run })
  }
  let done: KeptAside[] | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    for (const line of asideLines([], putBack())) process.stderr.write(`flakeseed: ${line}\n`)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  const stopListening = () => {
    process.off('exit', putBack)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  const putBack = (): KeptAside[] => {
    if (done) return done
    stopListening()
    done = []
    for (const { path, aside } of moved) {
      const target = join(root, path)
      if (lstatSync(target, { throwIfNoEntry: false }) !== undefined || !move(aside, target)) done.push({ path, aside })
    }
    if (!done.length) rmSync(folder, { recursive: true, force: true })
    return done
  }
  const discard = () => {
    if (done) return
    stopListening()
    done = []
    rmSync(folder, { recursive: true, force: true })
  }
  process.on('exit', putBack)
  if (signals) {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  const runs = [...new Set(moved.flatMap((m) => (m.run === undefined ? [] : [m.run])))].sort((a, b) => a - b)
  return { moved: moved.map((m) => m.path), runs, changed, putBack, discard }
}

/**
 * The same mtime, within a millisecond: a file moved across file systems (the temp folder on
 * another mount) gets its mtime back through `utimes`, which keeps less than a nanosecond clock.
 */
function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 1
}

/** Moves a file, keeping its mtime; across file systems by copy. False when it could not. */
function move(from: string, to: string): boolean {
  try {
    mkdirSync(dirname(to), { recursive: true })
    try {
      renameSync(from, to)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      const stat = lstatSync(from)
      copyFileSync(from, to)
      // In seconds, not a Date: a Date keeps whole milliseconds only.
      utimesSync(to, stat.atimeMs / 1000, stat.mtimeMs / 1000)
      rmSync(from)
    }
    return true
  } catch {
    return false
  }
}

/**
 * What a probing session says about the files it moved aside (`moved`) or could not put back
 * (`kept`); `by`: the runs whose tests left the moved files (named when others than the recorded
 * `target`), and what runs meanwhile.
 */
export function asideLines(
  moved: readonly string[],
  kept: readonly KeptAside[] = [],
  by?: { runs: readonly number[]; target?: number; during?: string },
): string[] {
  const lines: string[] = []
  if (moved.length) {
    const named = moved.slice(0, 3).join(', ') + (moved.length > 3 ? ` and ${moved.length - 3} more` : '')
    const them = moved.length > 1 ? 'them' : 'it'
    const whose = !by?.runs.length || (by.runs.length === 1 && by.runs[0] === by.target) ? "the recorded run's tests" : `the tests of ${runsWords(by.runs)}`
    lines.push(`moved aside while ${by?.during ?? 'the probes run'}, put back at the end: ${named} (${whose} created ${them})`)
  }
  for (const { path, aside } of kept) lines.push(`${path}: a file was made there while the probes ran; it is kept, and the recorded run's is at ${aside}`)
  return lines
}

/**
 * What a session says about files recorded runs left that changed since (`MovedAside.changed`):
 * they stay, as the user's; a probe's result may depend on them, which it cannot tell.
 */
export function changedLines(changed: MovedAside['changed']): string[] {
  const lines = changed
    .slice(0, 3)
    .map(
      ({ path, run }) =>
        `${path}: left by ${run === undefined ? 'the recorded run' : `run ${run}`}'s tests, changed since: not moved aside (taken as yours); if a result depends on it, remove it and rerun`,
    )
  if (changed.length > 3) lines.push(`and ${changed.length - 3} more files left by recorded runs and changed since: not moved aside either`)
  return lines
}

/**
 * Said after a failure's reason when files recorded runs left changed since and stayed: whether
 * the failure is about them no probe told, so it is said as what to try.
 */
export function changedNote(changed: MovedAside['changed']): string | undefined {
  if (!changed.length) return undefined
  const named = changed
    .slice(0, 3)
    .map(({ path, run }) => `${path} (left by ${run === undefined ? 'the recorded run' : `run ${run}`}'s tests)`)
    .join(', ')
  const more = changed.length > 3 ? ` and ${changed.length - 3} more` : ''
  return `${named}${more} changed since and ${changed.length > 1 ? 'were' : 'was'} not moved aside: if the failure is about ${changed.length > 1 ? 'them' : 'it'}, remove ${changed.length > 1 ? 'them' : 'it'} and rerun`
}

function runsWords(runs: readonly number[]): string {
  if (runs.length === 1) return `run ${runs[0]}`
  return `runs ${runs.slice(0, -1).join(', ')} and ${runs[runs.length - 1]}`
}

/** What `replay --repeat` does with left files around its repeats (`asideForRepeats`). */
export interface RepeatAside {
  /** Said before the first repeat: what earlier runs left, moved aside. */
  readonly lines: string[]
  /** After a repeat but the last: what it left, moved aside so that the next starts as the first did. */
  between(): void
  /** After the last: what the repeats left dropped, what earlier runs left put back; what to say. */
  end(): string[]
}

/**
 * `replay --repeat` checks whether an order fails every time, so every repeat starts from the
 * state the recorded run started from: what `run` and later runs of the project left is moved
 * aside before the first, what each repeat left (recorded in `db` as its run's) before the next.
 * At the end the tree is as the replay found it: the repeats' files dropped (the tests' own, each
 * unchanged since its repeat), the earlier ones put back. Ctrl-C does the same, then exits.
 */
export function asideForRepeats(db: string, root: string, run: { id: number; root: string | null } | undefined): RepeatAside {
  const read = <T>(fn: (store: Store) => T, none: T): T => {
    if (!existsSync(db)) return none
    try {
      const store = Store.open(db, { readonly: true })
      try {
        return fn(store)
      } finally {
        store.close()
      }
    } catch {
      return none
    }
  }
  const first = read((store) => store.lastRunId(), 0) + 1
  const before = moveAside(root, run ? read((store) => leftSince(store, [run]), []) : [])
  const repeats: MovedAside[] = []
  const between = () => {
    repeats.push(
      moveAside(
        root,
        read((store) => newestLeft(store.leftFilesSince(root, first)), []),
      ),
    )
  }
  let ended: string[] | undefined
  const end = (): string[] => {
    if (ended) return ended
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    between()
    for (const aside of repeats) aside.discard()
    const dropped = [...new Set(repeats.flatMap((aside) => aside.moved))].sort()
    ended = asideLines([], before.putBack())
    if (dropped.length)
      ended.unshift(
        `removed after each repeat, so that the next started as the first: ${dropped.slice(0, 3).join(', ')}${dropped.length > 3 ? ` and ${dropped.length - 3} more` : ''} (the repeats' tests created ${dropped.length > 1 ? 'them' : 'it'})`,
      )
    return ended
  }
  const onSignal = (signal: NodeJS.Signals) => {
    for (const line of end()) process.stderr.write(`flakeseed: ${line}\n`)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const lines = [...asideLines(before.moved, [], { runs: before.runs, target: run?.id, during: 'the repeats run' }), ...changedLines(before.changed)]
  return { lines, between, end }
}
