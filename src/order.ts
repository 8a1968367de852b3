// The ordering rule. Pure: no Vitest, no Node APIs, so the same code decides the order in the
// main process (files) and in every worker (tests), on any machine and any Vitest version.
//
// Every item gets a key derived only from the seed and the item's own stable id. Sorting by
// that key shuffles, and because an item's key ignores its neighbours, adding or removing
// tests never changes the relative order of the others (subset stability).
//
// The generator is seedrandom's Tyche-i (`seedrandom.tychei`), seeded with the string. It is
// nonlinear (add-rotate-xor), so keys of ids that differ in one character are independent, and
// it needs no `crypto` and no 256-byte key schedule, which matters because every worker loads
// this module and keys every test. seedrandom's linear generators (xor128, xorwow, xor4096,
// xorshift7) give ids that differ in one character keys with a constant XOR difference, hence
// far too few permutations; Alea's first outputs are correlated for similar seeds. Both fail the
// distribution tests in test/unit/order.test.ts.
import tychei from 'seedrandom/lib/tychei.js'

/** Separates a test's file from its describe chain and title in ids and names. */
export const NAME_SEPARATOR = ' > '

/** A position in [0, 1) that depends only on the seed and the id. */
export function orderKey(seed: string, id: string): number {
  return tychei(`${seed}\u0000${id}`).double()
}

/** `file` for the default project, `project:file` for a named one. */
export function fileId(project: string, file: string): string {
  return project ? `${project}:${file}` : file
}

/** The id a user sees and passes to `--test`/`--only`: `[project:]file > describe > test`. */
export function testId(project: string, file: string, name: string): string {
  return `${fileId(project, file)}${NAME_SEPARATOR}${name}`
}

/** Windows and POSIX paths give one file id. */
export function toPosix(path: string): string {
  return path.replace(/\\/g, '/')
}

/**
 * Sorts a copy of `items` by their keys. Ties (astronomically unlikely) fall back to the id so
 * the result never depends on the input order.
 */
export function sortByKey<T>(items: readonly T[], seed: string, idOf: (item: T) => string): T[] {
  const keyed = items.map((item) => {
    const id = idOf(item)
    return { item, id, key: orderKey(seed, id) }
  })
  keyed.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return keyed.map((k) => k.item)
}

/**
 * Gives repeated names in one file the suffixes ` (2)`, ` (3)`… in declaration order, so
 * every test of a file has its own id.
 */
export function disambiguate(names: readonly string[]): string[] {
  const seen = new Map<string, number>()
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1
    seen.set(name, count)
    return count === 1 ? name : `${name} (${count})`
  })
}

/**
 * The generator that replaces `Math.random` for one test under one seed. It is seeded on the
 * first draw, so a test that never calls `Math.random` costs nothing. Values have 53 random
 * bits like V8's own, so random ids a test makes collide no more often than without flakeseed.
 */
export function randomFor(seed: string, id: string): () => number {
  let draw: (() => number) | undefined
  return () => (draw ??= tychei(`${seed}\u0000random\u0000${id}`).double)()
}

/** An exact order to run: files one after another, and in each only the listed tests, in order. */
export interface Plan {
  files: PlanFile[]
}

export interface PlanFile {
  /** Vitest project name ('' for the default project). */
  project: string
  /** Path relative to the project root, `/`-separated. */
  file: string
  /** Test names (describe chain and title joined by ` > `), in the order to run them. */
  tests: string[]
}

/** A plan restricted to the given test ids, keeping the plan's order; empty files are dropped. */
export function restrictPlan(plan: Plan, keep: (id: string) => boolean): Plan {
  const files: PlanFile[] = []
  for (const f of plan.files) {
    const tests = f.tests.filter((name) => keep(testId(f.project, f.file, name)))
    if (tests.length) files.push({ ...f, tests })
  }
  return { files }
}

/** Every test id of a plan, in plan order. */
export function planTestIds(plan: Plan): string[] {
  return plan.files.flatMap((f) => f.tests.map((name) => testId(f.project, f.file, name)))
}
