// Several patches as one (`fix --all`): edits to the same file merge by position, line by line.
// Each patch's change to a file is a list of line ranges of the common original, each replaced by
// new lines (Myers' script, src/fix/diff.ts); ranges of different patches that overlap, or start at
// the same line (two insertions there have no order), are a conflict, said with the file and line.
// The same change made by two patches (an import both extend alike) counts once.
import { diffLines } from './diff.js'
import type { FileEdit } from './types.js'

/** A patch's edits, and what to call it when it clashes with another. */
export interface NamedEdits {
  name: string
  edits: readonly FileEdit[]
}

export type Merged = { edits: FileEdit[] } | { conflict: string }

interface Change {
  /** Lines of the original replaced: [from, to). An insertion has from === to. */
  from: number
  to: number
  lines: string[]
  owner: string
}

/** The patches' edits as one set of edits, one per file, in the order files first appear. */
export function mergeEdits(patches: readonly NamedEdits[]): Merged {
  const byFile = new Map<string, Array<{ edit: FileEdit; owner: string }>>()
  for (const patch of patches)
    for (const edit of patch.edits) {
      if (edit.before === edit.after) continue
      const list = byFile.get(edit.path) ?? []
      list.push({ edit, owner: patch.name })
      byFile.set(edit.path, list)
    }
  const merged: FileEdit[] = []
  for (const [path, list] of byFile) {
    const before = list[0]!.edit.before
    const other = list.find((e) => e.edit.before !== before)
    if (other) return { conflict: `the patches for ${list[0]!.owner} and ${other.owner} were written against different versions of ${path}` }
    const after = mergeFile(
      path,
      before,
      list.map((e) => ({ after: e.edit.after, owner: e.owner })),
    )
    if ('conflict' in after) return after
    merged.push({ path, before, after: after.text })
  }
  return { edits: merged }
}

function mergeFile(path: string, before: string, versions: ReadonlyArray<{ after: string; owner: string }>): { text: string } | { conflict: string } {
  const original = linesOf(before)
  const changes: Change[] = []
  for (const v of versions)
    for (const change of changesOf(original, linesOf(v.after), v.owner)) {
      if (changes.some((c) => same(c, change))) continue
      const clash = changes.find((c) => overlaps(c, change))
      if (clash)
        return {
          conflict: `the patches for ${clash.owner} and ${change.owner} both change ${path} at line ${Math.min(clash.from, change.from) + 1}; apply them one at a time`,
        }
      changes.push(change)
    }
  const lines = [...original]
  for (const c of [...changes].sort((a, b) => b.from - a.from)) lines.splice(c.from, c.to - c.from, ...c.lines)
  return { text: lines.join('') }
}

/** Runs of changed lines in Myers' script, each as the range of the original it replaces. */
function changesOf(a: readonly string[], b: readonly string[], owner: string): Change[] {
  const changes: Change[] = []
  let current: Change | undefined
  for (const op of diffLines(a, b)) {
    if (op.op === ' ') {
      current = undefined
      continue
    }
    if (!current) {
      current = { from: op.a, to: op.a, lines: [], owner }
      changes.push(current)
    }
    if (op.op === '-') current.to = op.a + 1
    else current.lines.push(op.line)
  }
  return changes
}

function same(a: Change, b: Change): boolean {
  return a.from === b.from && a.to === b.to && a.lines.join('') === b.lines.join('')
}

function overlaps(a: Change, b: Change): boolean {
  return a.from === b.from || (a.from < b.to && b.from < a.to)
}

/** Lines with their `\n` kept (as src/fix/diff.ts splits them). */
function linesOf(text: string): string[] {
  const lines = text.split(/(?<=\n)/)
  return lines[0] === '' ? [] : lines
}
