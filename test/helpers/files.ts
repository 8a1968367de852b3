// Small helpers shared by tests: an unwritable file or folder (also as root), a seeded PRNG, a
// project tree's hash.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, closeSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

/** A file can be opened for writing; a folder can take a new file. */
function writable(path: string): boolean {
  try {
    if (statSync(path).isDirectory()) {
      const probe = join(path, `.writable-${process.pid}`)
      closeSync(openSync(probe, 'w'))
      rmSync(probe)
    } else closeSync(openSync(path, 'r+'))
    return true
  } catch {
    return false
  }
}

/**
 * Runs `fn` while `path` (a file, or a folder: nothing can be created in it, as on read-only
 * media) cannot be written: chmod 444 (555 for a folder), and (root ignores modes) chattr +i,
 * undone afterwards, since an immutable file would outlive the sandbox's removal. Throws when it
 * stays writable, so a test never passes without having tried.
 */
export function whileUnwritable<T>(path: string, fn: () => T): T {
  const mode = statSync(path).mode & 0o777
  const folder = statSync(path).isDirectory()
  chmodSync(path, folder ? 0o555 : 0o444)
  const immutable = writable(path) && spawnSync('chattr', ['+i', path]).status === 0
  try {
    if (writable(path)) throw new Error(`could not make ${path} unwritable (chmod, chattr +i)`)
    return fn()
  } finally {
    if (immutable) spawnSync('chattr', ['-i', path])
    if (folder) chmodSync(path, mode)
  }
}

/** `whileUnwritable` for an async `fn`: the path is writable again once its promise settles. */
export async function whileUnwritableAsync<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const mode = statSync(path).mode & 0o777
  const folder = statSync(path).isDirectory()
  chmodSync(path, folder ? 0o555 : 0o444)
  const immutable = writable(path) && spawnSync('chattr', ['+i', path]).status === 0
  try {
    if (writable(path)) throw new Error(`could not make ${path} unwritable (chmod, chattr +i)`)
    return await fn()
  } finally {
    if (immutable) spawnSync('chattr', ['-i', path])
    if (folder) chmodSync(path, mode)
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

/** sha256 of every file of the project but its node_modules and the history DB. */
export function treeHash(project: { dir: string }): string {
  const hash = createHash('sha256')
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry)
      if (entry === 'node_modules' || entry === '.flakeseed') continue
      if (statSync(path).isDirectory()) walk(path)
      else hash.update(`${relative(project.dir, path)}\0`).update(readFileSync(path))
    }
  }
  walk(project.dir)
  return hash.digest('hex')
}
