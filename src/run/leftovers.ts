// The files a recorded run's tests created and left in the project. A test that writes
// `leftover.txt` makes a later test fail; the file stays after the run, and a bisect that found it
// there would see the victim fail alone and call it "not order-dependent". So the run's workers
// note the paths their tests create (src/worker/writes.ts), the reporter stores those still there
// at the end with their size and mtime (`leftFiles`, `runs.left_files`), and a bisect moves them
// aside while its probes run and puts them back at the end (`moveAside`): only the ones unchanged
// since the run (same size and mtime; a changed one is the user's now). Writer and reader here.
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { LeftFile } from '../store/rows.js'
import { notedIn, readWrites } from '../worker/writes.js'
import { SOURCE } from './probe-files.js'

/** At most this many are stored per run: a suite that leaves thousands of files is not made slower to record. */
const MAX_FILES = 1000
const SNAPSHOT = /(?:^|\/)__snapshots__\/|\.snap$/

/**
 * The files the workers noted creating (`notes`, the run's folder of notes) that are still regular
 * files under `root` now; never snapshots, sources, or anything under node_modules or .git.
 */
export function leftFiles(notes: string, root: string): LeftFile[] {
  const files: LeftFile[] = []
  for (const path of [...new Set(notedIn(readWrites(notes), root))].sort()) {
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

/** A file `putBack` did not put back: someone made another at its path meanwhile; ours is at `aside`. */
export interface KeptAside {
  path: string
  aside: string
}

/** The recorded run's files moved out of the project while probes run. */
export interface MovedAside {
  /** Paths (relative) moved aside. */
  readonly moved: readonly string[]
  /** Puts them back (once; also on exit): a path someone wrote meanwhile keeps theirs. */
  putBack(): KeptAside[]
}

/**
 * Moves the run's left files that are unchanged since the run (same size and mtime) into a temp
 * folder; put back on `putBack()`, or when the process exits first (a second Ctrl-C).
 */
export function moveAside(root: string, files: readonly LeftFile[]): MovedAside {
  const unchanged = files.filter((file) => {
    try {
      const stat = lstatSync(join(root, file.path), { throwIfNoEntry: false })
      return stat?.isFile() && stat.size === file.size && stat.mtimeMs === file.mtimeMs
    } catch {
      return false
    }
  })
  if (!unchanged.length) return { moved: [], putBack: () => [] }
  const folder = mkdtempSync(join(tmpdir(), 'flakeseed-aside-'))
  const moved: Array<{ path: string; aside: string }> = []
  for (const [i, file] of unchanged.entries()) {
    const aside = join(folder, String(i))
    if (move(join(root, file.path), aside)) moved.push({ path: file.path, aside })
  }
  let done: KeptAside[] | undefined
  const putBack = (): KeptAside[] => {
    if (done) return done
    process.off('exit', putBack)
    done = []
    for (const { path, aside } of moved) {
      const target = join(root, path)
      if (lstatSync(target, { throwIfNoEntry: false }) !== undefined || !move(aside, target)) done.push({ path, aside })
    }
    if (!done.length) rmSync(folder, { recursive: true, force: true })
    return done
  }
  process.on('exit', putBack)
  return { moved: moved.map((m) => m.path), putBack }
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
      utimesSync(to, stat.atime, stat.mtime)
      rmSync(from)
    }
    return true
  } catch {
    return false
  }
}

/** What a probing session says about the files it moved aside (`moved`) or could not put back (`kept`). */
export function asideLines(moved: readonly string[], kept: readonly KeptAside[] = []): string[] {
  const lines: string[] = []
  if (moved.length) {
    const named = moved.slice(0, 3).join(', ') + (moved.length > 3 ? ` and ${moved.length - 3} more` : '')
    lines.push(`moved aside while the probes run, put back at the end: ${named} (the recorded run's tests created ${moved.length > 1 ? 'them' : 'it'})`)
  }
  for (const { path, aside } of kept) lines.push(`${path}: a file was made there while the probes ran; it is kept, and the recorded run's is at ${aside}`)
  return lines
}
