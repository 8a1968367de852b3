// One bisect's view of the project's files: before and after every probe, what the probe's tests
// wrote is put back, so a file one probe's polluter wrote cannot make the next probe fail, and
// nothing else is touched.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { FlakeseedError } from '../core/errors.js'
import { diffTrees, type FileChange, isInside, newTopFolders, restoreFile, sameFile, snapshotTree, type TreeSnapshot } from '../diagnose/files.js'

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

  /**
   * The next probe learns where the tests write, as the first one did: the next victim's culprits
   * may write where no earlier probe's tests did (`fix` bisects one victim after another).
   */
  learnNext(): void {
    this.learnt = false
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
