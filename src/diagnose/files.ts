// The project's files as a snapshot that can be compared and put back: what a test left on disk.
// The diagnosis compares two in the worker (a `file` leak); bisect takes one before and after
// every probe (src/run/probe-files.ts) to put back what the probe's tests wrote.
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'

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

export function sameFile(a: FileState, b: FileState): boolean {
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
    // Its mtime too: a file a recorded run left is known by its size and mtime (src/run/leftovers.ts).
    utimesSync(path, state.mtimeMs / 1000, state.mtimeMs / 1000)
    return true
  } catch {
    return false
  }
}

/** Folders in `now` but not in `before` whose parent existed before (the tops of what was created). */
export function newTopFolders(before: ReadonlySet<string>, now: ReadonlySet<string>): string[] {
  return [...now].filter((dir) => !before.has(dir) && (!dir.includes('/') || before.has(dir.slice(0, dir.lastIndexOf('/')))))
}

export function isInside(file: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => file.startsWith(`${dir}/`))
}

/** Files probes load as code: when one changes under a running bisect, its probes would test two versions. */
