// The ordering rule. Pure: no Vitest, no Node APIs, so the same code decides the order in the
// main process (files) and in every worker (tests), on any machine and any Vitest version.
//
// Every item gets a key derived only from the seed and the item's own stable id. Sorting by
// that key shuffles, and because an item's key ignores its neighbours, adding or removing
// tests never changes the relative order of the others (subset stability).
//
// The generator is seedrandom's Tyche-i (`seedrandom.tychei`, as `./tychei.ts` computes it), seeded with the string. It is
// nonlinear (add-rotate-xor), so keys of ids that differ in one character are independent, and
// it needs no `crypto` and no 256-byte key schedule, which matters because every worker loads
// this module and keys every test. seedrandom's linear generators (xor128, xorwow, xor4096,
// xorshift7) give ids that differ in one character keys with a constant XOR difference, hence
// far too few permutations; Alea's first outputs are correlated for similar seeds. Both fail the
// distribution tests in test/unit/order.test.ts.
import { tychei } from './tychei.js'

/** A position in [0, 1) that depends only on the seed and the id. */
export function orderKey(seed: string, id: string): number {
  return tychei(`${seed}\u0000${id}`)()
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
 * The generator that replaces `Math.random` for one test under one seed. It is seeded on the
 * first draw, so a test that never calls `Math.random` costs nothing. Values have 53 random
 * bits like V8's own, so random ids a test makes collide no more often than without flakeseed.
 */
export function randomFor(seed: string, id: string): () => number {
  let draw: (() => number) | undefined
  return () => (draw ??= tychei(`${seed}\u0000random\u0000${id}`))()
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
