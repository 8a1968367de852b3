// The project's files as a snapshot that can be compared and put back: what a test left on disk.
// Bisect takes one before and after every probe and puts back what the probe's tests wrote
// (`ProbeFiles`), so a file one probe's polluter wrote cannot make the next probe fail, and
// nothing else is touched; the diagnosis compares two in the worker.
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { FlakeseedError } from '../errors.js'

/** Folders never looked into: dependencies, VCS data, flakeseed's own history. */
const SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn', '.flakeseed'])
/** A tree bigger than this is not tracked (one walk must stay cheap). */
const MAX_FILES = 20_000
/** Contents are kept to put a changed file back, for files up to this size, up to a total. */
const MAX_KEPT_FILE = 256 * 1024
const MAX_KEPT_TOTAL = 32 * 1024 * 1024

export interface FileState {
  size: number
  mtimeMs: number
  /** The bytes, when small enough to put back. */
  content?: Buffer
}

export interface TreeSnapshot {
  root: string
  /** Absolute paths left out (the history DB and its journal). */
  skip: readonly string[]
  files: Map<string, FileState>
  /** Folders (relative): one that appears later was created, with everything in it. */
  dirs: Set<string>
  /** False when the tree was too big to walk: nothing is compared or put back. */
  complete: boolean
}

/** Every file under `root` (relative, `/`-separated), but `skip` (absolute paths, e.g. the DB). */
export function snapshotTree(root: string, skip: readonly string[] = []): TreeSnapshot {
  const files = new Map<string, FileState>()
  const dirs = new Set<string>()
  const skipped = new Set(skip.flatMap((path) => [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]))
  const rel = (path: string) => relative(root, path).split(sep).join('/')
  let kept = 0
  const walk = (dir: string): boolean => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return true
    }
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (skipped.has(path)) continue
      if (entry.isDirectory()) {
        if (SKIPPED.has(entry.name)) continue
        dirs.add(rel(path))
        if (!walk(path)) return false
      } else if (entry.isFile()) {
        if (files.size >= MAX_FILES) return false
        try {
          const stat = lstatSync(path)
          const state: FileState = { size: stat.size, mtimeMs: stat.mtimeMs }
          if (stat.size <= MAX_KEPT_FILE && kept + stat.size <= MAX_KEPT_TOTAL) {
            state.content = readFileSync(path)
            kept += stat.size
          }
          files.set(rel(path), state)
        } catch {
          // Gone between listing and reading: not there.
        }
      }
    }
    return true
  }
  const complete = walk(root)
  return { root, skip, files: complete ? files : new Map(), dirs: complete ? dirs : new Set(), complete }
}

export type FileChange = { file: string; before: FileState | undefined; after: FileState | undefined }

/** Files created, changed or deleted from `a` to `b`. */
export function diffTrees(a: TreeSnapshot, b: TreeSnapshot): FileChange[] {
  if (!a.complete || !b.complete) return []
  const changes: FileChange[] = []
  for (const [file, after] of b.files) {
    const before = a.files.get(file)
    if (!before || !sameFile(before, after)) changes.push({ file, before, after })
  }
  for (const [file, before] of a.files) if (!b.files.has(file)) changes.push({ file, before, after: undefined })
  return changes.sort((x, y) => (x.file < y.file ? -1 : 1))
}

function sameFile(a: FileState, b: FileState): boolean {
  if (a.size !== b.size || a.mtimeMs !== b.mtimeMs) return a.content !== undefined && b.content !== undefined && a.content.equals(b.content)
  return true
}

/** Puts one file back as it was in `snapshot`; false when its content was too big to keep. */
export function restoreFile(snapshot: TreeSnapshot, file: string): boolean {
  const path = join(snapshot.root, file)
  const state = snapshot.files.get(file)
  try {
    if (!state) {
      rmSync(path, { force: true })
      return true
    }
    if (!state.content) return false
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, state.content)
    return true
  } catch {
    return false
  }
}

/** Folders in `now` but not in `before` whose parent existed before (the tops of what was created). */
function newTopFolders(before: ReadonlySet<string>, now: ReadonlySet<string>): string[] {
  return [...now].filter((dir) => !before.has(dir) && (!dir.includes('/') || before.has(dir.slice(0, dir.lastIndexOf('/')))))
}

function isInside(file: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => file.startsWith(`${dir}/`))
}

/** Files probes load as code: when one changes under a running bisect, its probes would test two versions. */
const SOURCE = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/

/** A source file changed while bisect ran: it stops rather than mix results from two versions. */
export class ProjectChanged extends FlakeseedError {
  constructor(
    readonly file: string,
    probes: number,
  ) {
    super(`flakeseed: ${file} changed while bisect ran; results from two versions would be mixed: stopped after probe ${probes}`)
  }
}

/**
 * The project's files across one bisect (docs/ARCHITECTURE.md, "Nothing of the user's is
 * changed"). Each probe puts back only what its tests wrote: the paths that changed during the
 * probe and lie in the area the tests write (what the first probe changed: those files, the
 * folders it created, new files in the folders it created files in). Anything else that changes,
 * whoever did it, keeps its bytes; a folder is only removed when a probe created it and the first
 * probe created one of that name. Source files are never put back: one that differs from the
 * start stops the bisect (`ProjectChanged`), before the next probe or right after the one it
 * changed during.
 */
export class ProbeFiles {
  private readonly start: TreeSnapshot
  private readonly written = new Set<string>()
  private readonly writtenDirs = new Set<string>()
  /** Folders (never the root) the tests created files in: a new file there is theirs too (a random name). */
  private readonly writtenIn = new Set<string>()
  private learnt = false
  /** Probes finished, for the line that says where the bisect stopped. */
  probes = 0

  /**
   * `recorded`: when the failing runs ran (ms; from the run's start, which is before any setup or
   * test of it ran, so a file the user wrote just before the run is not taken): a file last written then was the tests' (a setup
   * that deletes it in a later probe must not lose it), and so are new files beside it.
   */
  constructor(
    readonly root: string,
    private readonly skip: readonly string[] = [],
    recorded: ReadonlyArray<{ from: number; to: number }> = [],
  ) {
    this.start = snapshotTree(root, skip)
    for (const [file, state] of this.start.files) {
      if (SOURCE.test(file) || !recorded.some((w) => state.mtimeMs >= w.from && state.mtimeMs <= w.to + 1000)) continue
      this.written.add(file)
      if (parentOf(file) !== '') this.writtenIn.add(parentOf(file))
    }
  }

  /** Before a probe: the tree now, once no source file differs from the start (else `ProjectChanged`). */
  beforeProbe(): TreeSnapshot {
    const now = snapshotTree(this.root, this.skip)
    this.checkSources(now)
    return now
  }

  /** Only the check, for probes that run side by side (nothing is put back per probe). */
  checkSources(now: TreeSnapshot = snapshotTree(this.root, this.skip)): void {
    if (!this.start.complete || !now.complete) return
    for (const [file, was] of this.start.files) {
      if (!SOURCE.test(file)) continue
      const is = now.files.get(file)
      if (!is || !sameFile(was, is)) throw new ProjectChanged(file, this.probes)
    }
  }

  /**
   * After a probe: puts back what its tests wrote since `before`. `learn` (the first probe by
   * default) takes every change as the tests' and remembers where they write.
   */
  afterProbe(before: TreeSnapshot, learn = !this.learnt): { changed: number; touched: number; failed: string[] } {
    this.probes++
    const result = this.putBack(before, learn)
    if (learn) this.learnt = true
    this.checkSources()
    return result
  }

  /** Puts back the tests' writes since `before` (the end of side-by-side probes), learning nothing. */
  putBack(before: TreeSnapshot, learn = false): { changed: number; touched: number; failed: string[] } {
    if (!before.complete) return { changed: 0, touched: 0, failed: [] }
    const now = snapshotTree(this.root, this.skip)
    if (!now.complete) return { changed: 0, touched: 0, failed: [] }
    let touched = 0
    for (const [file, state] of now.files) {
      const was = before.files.get(file)
      if (!was || was.size !== state.size || was.mtimeMs !== state.mtimeMs) touched++
    }
    for (const file of before.files.keys()) if (!now.files.has(file)) touched++
    const created = newTopFolders(before.dirs, now.dirs).filter((dir) => learn || this.writtenDirs.has(dir))
    const changes = diffTrees(before, now).filter((c) => !this.isSource(c.file) && !isInside(c.file, created) && (learn || this.wrote(c)))
    if (learn) this.remember(created, changes)
    for (const dir of created) rmSync(join(this.root, dir), { recursive: true, force: true })
    const failed = changes.filter((change) => !restoreFile(before, change.file)).map((change) => change.file)
    return { changed: changes.length + created.length, touched, failed }
  }

  private isSource(file: string): boolean {
    return SOURCE.test(file) && this.start.files.has(file)
  }

  /** A change in the area the tests write. */
  private wrote(change: FileChange): boolean {
    if (this.written.has(change.file) || isInside(change.file, [...this.writtenDirs])) return true
    return change.before === undefined && this.writtenIn.has(parentOf(change.file))
  }

  private remember(created: readonly string[], changes: readonly FileChange[]): void {
    for (const dir of created) this.writtenDirs.add(dir)
    for (const change of changes) {
      this.written.add(change.file)
      const parent = parentOf(change.file)
      if (change.before === undefined && parent !== '') this.writtenIn.add(parent)
    }
  }
}

function parentOf(file: string): string {
  const slash = file.lastIndexOf('/')
  return slash < 0 ? '' : file.slice(0, slash)
}
