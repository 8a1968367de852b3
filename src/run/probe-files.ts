// One bisect's view of the project's files: before and after every probe, what the probe's tests
// wrote is put back, so a file one probe's polluter wrote cannot make the next probe fail, and
// nothing else is touched.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { FlakeseedError } from '../core/errors.js'
import { isNoted, notedIn } from '../worker/writes.js'
import { diffTrees, type FileChange, isInside, newTopFolders, restoreFile, sameFile, snapshotTree, type TreeSnapshot } from '../diagnose/files.js'

export const SOURCE = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/

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
 * changed"). Each probe puts back only what its tests wrote: the paths its workers noted writing
 * (src/worker/writes.ts), and paths in the area earlier probes' tests wrote (those files, the
 * folders they created, new files in the folders they created files in). Anything else that
 * changes, whoever did it (the user editing while bisect runs, an editor's swap file), keeps its
 * bytes; a folder is only removed when a probe created it and a probe's tests wrote in it. Source
 * files are never put back: one that differs from the start stops the bisect (`ProjectChanged`),
 * before the next probe or right after the one it changed during.
 */
export class ProbeFiles {
  private readonly start: TreeSnapshot
  private readonly written = new Set<string>()
  private readonly writtenDirs = new Set<string>()
  /** Folders (never the root) the tests created files in: a new file there is theirs too (a random name). */
  private readonly writtenIn = new Set<string>()
  /** Paths (relative, posix) the probes' workers noted writing. */
  private readonly noted = new Set<string>()
  /** Probes finished, for the line that says where the bisect stopped. */
  probes = 0

  /**
   * No file is taken as the tests' for when it was written (a file the user wrote right after the
   * recorded run would be): a probe that deletes what the recorded run left notes the deletion,
   * and that is put back.
   */
  constructor(
    readonly root: string,
    private readonly skip: readonly string[] = [],
  ) {
    this.start = snapshotTree(root, skip)
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
   * After a probe: puts back what its tests wrote since `before`: the paths its workers noted
   * (`wrote`, absolute), which join the area the tests write, and changes in that area.
   */
  afterProbe(before: TreeSnapshot, wrote: ReadonlySet<string> = new Set()): { changed: number; touched: number; failed: string[] } {
    this.probes++
    const result = this.putBack(before, wrote)
    this.checkSources()
    return result
  }

  /**
   * Side by side, nothing is put back per probe: what a probe's workers noted joins the area
   * that `putBack` restores at the end.
   */
  noteWrites(wrote: ReadonlySet<string>): void {
    this.probes++
    for (const path of notedIn(wrote, this.root)) this.noted.add(path)
  }

  /** Puts back the tests' writes since `before` (a probe's start, or the start of side-by-side probes). */
  putBack(before: TreeSnapshot, wrote: ReadonlySet<string> = new Set()): { changed: number; touched: number; failed: string[] } {
    if (!before.complete) return { changed: 0, touched: 0, failed: [] }
    const now = snapshotTree(this.root, this.skip)
    if (!now.complete) return { changed: 0, touched: 0, failed: [] }
    let touched = 0
    for (const [file, state] of now.files) {
      const was = before.files.get(file)
      if (!was || was.size !== state.size || was.mtimeMs !== state.mtimeMs) touched++
    }
    for (const file of before.files.keys()) if (!now.files.has(file)) touched++
    for (const path of notedIn(wrote, this.root)) this.noted.add(path)
    const noted = [...this.noted]
    const ours = (path: string) => isNoted(noted, path)
    const created = newTopFolders(before.dirs, now.dirs).filter((dir) => ours(dir) || this.writtenDirs.has(dir))
    const fresh = diffTrees(before, now).filter((c) => !this.isSource(c.file) && !isInside(c.file, created))
    const changes = fresh.filter((c) => ours(c.file) || this.wrote(c))
    this.remember(
      created.filter((dir) => ours(dir)),
      changes.filter((c) => ours(c.file)),
    )
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
