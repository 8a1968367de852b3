// The targeted orders a hunt runs (docs/ARCHITECTURE.md, Hunt): pure, over tests in declaration
// order. Reversing a file's declaration order reverses every describe's children too (the runner
// keeps a describe's tests together and ranks a describe by its first listed test), so for any two
// tests, the plain run or the reverse run has them the other way round.
import { fileId, idOf, NAME_SEPARATOR } from '../core/names.js'
import { orderKey } from '../core/order.js'

export interface HuntTest {
  project: string
  file: string
  name: string
}

/** The exact reverse of an order: files, and the tests in each (so every describe's children). */
export function reverseOrder<T extends HuntTest>(tests: readonly T[]): T[] {
  return [...tests].reverse()
}

/**
 * The order a seed gives, as the runner gives it without a plan: files by key, then in each
 * describe its children (tests and nested describes) by key, children kept inside their describe.
 */
export function seedOrder<T extends HuntTest>(tests: readonly T[], seed: string): T[] {
  const files = new Map<string, T[]>()
  for (const t of tests) {
    const id = fileId(t.project, t.file)
    files.set(id, [...(files.get(id) ?? []), t])
  }
  const sortedFiles = [...files.keys()].sort((a, b) => orderKey(seed, a) - orderKey(seed, b))
  return sortedFiles.flatMap((id) => sortTree(files.get(id)!, seed, 0))
}

/** Sorts one describe level: groups tests by the describe they sit in at `depth`, orders the groups and tests by key. */
function sortTree<T extends HuntTest>(tests: readonly T[], seed: string, depth: number): T[] {
  const groups = new Map<string, T[]>()
  for (const t of tests) {
    const parts = t.name.split(NAME_SEPARATOR)
    const head = parts.length - 1 > depth ? parts.slice(0, depth + 1).join(NAME_SEPARATOR) : t.name
    groups.set(head, [...(groups.get(head) ?? []), t])
  }
  const prefix = (t: T) => `${t.project ? `${t.project}:` : ''}${t.file}${NAME_SEPARATOR}`
  const keyed = [...groups.entries()].map(([head, members]) => ({ head, members, k: orderKey(seed, prefix(members[0]!) + head) }))
  keyed.sort((a, b) => a.k - b.k)
  return keyed.flatMap(({ head, members }) => (members.length === 1 && members[0]!.name === head ? members : sortTree(members, seed, depth + 1)))
}

/**
 * The tests of `order` each new test can run right before: the other tests of its file (its
 * process, with isolation). Pairs whose second test is also new are left to the new tests' own
 * orders (forward and reverse).
 */
export function pairs<T extends HuntTest>(order: readonly T[], fresh: ReadonlySet<string>): Array<[T, T]> {
  const out: Array<[T, T]> = []
  for (const first of order) {
    if (!fresh.has(idOf(first))) continue
    for (const second of order)
      if (second !== first && !fresh.has(idOf(second)) && second.project === first.project && second.file === first.file) out.push([first, second])
  }
  return out
}

/**
 * Each file's new tests on their own, in declaration order then reversed, with one older test of
 * their file after them when there is one (the test a diagnosis snapshot is taken before): two
 * runs that show every new test that fails without the older tests before it (brittle), unless
 * another new test sets it up, which one of the two orders then shows.
 */
export function newTestRuns<T extends HuntTest>(order: readonly T[], fresh: ReadonlySet<string>): { forward: T[]; backward: T[]; after: Map<string, T> } {
  const isNew = (t: T) => fresh.has(idOf(t))
  const forward = order.filter(isNew)
  const after = new Map<string, T>()
  for (const t of forward) {
    const id = fileId(t.project, t.file)
    if (after.has(id)) continue
    const older = order.find((o) => !isNew(o) && o.project === t.project && o.file === t.file)
    if (older) after.set(id, older)
  }
  const withAfter = (list: T[]) => {
    const out: T[] = []
    for (const [k, t] of list.entries()) {
      out.push(t)
      const next = list[k + 1]
      const older = after.get(fileId(t.project, t.file))
      if (older && (!next || fileId(next.project, next.file) !== fileId(t.project, t.file))) out.push(older)
    }
    return out
  }
  return { forward: withAfter(forward), backward: withAfter(reverseOrder(forward).sort(byFile(forward))), after }
}

/** Keeps files in first-seen order (a stable sort by the file's position in `tests`). */
function byFile<T extends HuntTest>(tests: readonly T[]): (a: T, b: T) => number {
  const position = new Map<string, number>()
  for (const t of tests) if (!position.has(fileId(t.project, t.file))) position.set(fileId(t.project, t.file), position.size)
  return (a, b) => position.get(fileId(a.project, a.file))! - position.get(fileId(b.project, b.file))!
}
