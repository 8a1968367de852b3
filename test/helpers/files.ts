// Small helpers shared by tests: an unwritable file (also as root), a seeded PRNG.
import { spawnSync } from 'node:child_process'
import { chmodSync, closeSync, openSync } from 'node:fs'

function writable(path: string): boolean {
  try {
    closeSync(openSync(path, 'r+'))
    return true
  } catch {
    return false
  }
}

/**
 * Runs `fn` while `path` cannot be written: chmod 444, and (root ignores file modes) chattr +i,
 * undone afterwards, since an immutable file would outlive the sandbox's removal. Throws when the
 * file stays writable, so a test never passes without having tried.
 */
export function whileUnwritable<T>(path: string, fn: () => T): T {
  chmodSync(path, 0o444)
  const immutable = writable(path) && spawnSync('chattr', ['+i', path]).status === 0
  try {
    if (writable(path)) throw new Error(`could not make ${path} unwritable (chmod 444, chattr +i)`)
    return fn()
  } finally {
    if (immutable) spawnSync('chattr', ['-i', path])
  }
}

/** Deterministic PRNG (mulberry32): the same seed gives the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
