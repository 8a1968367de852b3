// The files a history is made of, looked at before SQLite opens them: its folder (created one
// level at a time), its header, its companions (`-wal`, `-shm`, `-journal`), and whether another
// path is one of them.
import { closeSync, existsSync, mkdirSync, openSync, readSync, realpathSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { FlakeseedError } from '../core/errors.js'

const SQLITE_HEADER = 'SQLite format 3\u0000'

/** The files SQLite keeps beside a database while it is in use. */
export const COMPANIONS = ['-wal', '-shm', '-journal'] as const

/**
 * Creates the missing folders above `path`, one level at a time. Node 20's `mkdirSync(…,
 * { recursive: true })` loops forever at full CPU on a path it cannot create under some
 * filesystems (`/proc/x/…`); a plain `mkdirSync` fails at once, with a reason.
 */
export function makeParentDirs(path: string): void {
  const missing: string[] = []
  let dir = dirname(resolve(path))
  while (!existsSync(dir)) {
    missing.unshift(dir)
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  if (!statSync(dir).isDirectory()) throw new FlakeseedError(`flakeseed: cannot create ${path}: ${dir} is not a folder`)
  for (const folder of missing) {
    try {
      mkdirSync(folder)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // Another process made it meanwhile.
      if (code === 'EEXIST' && statSync(folder).isDirectory()) continue
      throw new FlakeseedError(`flakeseed: cannot create the folder ${folder}: ${code ?? (error as Error).message}`)
    }
  }
}

/** Whether the file starts with SQLite's header (false for an empty or short file). */
export function hasSqliteHeader(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(16)
    return readSync(fd, buffer, 0, 16, 0) === 16 && buffer.toString('latin1') === SQLITE_HEADER
  } finally {
    closeSync(fd)
  }
}

/** Whether writing `path` would write the database at `db` or one of its companions (also through links). */
export function isDatabaseFile(path: string, db: string): boolean {
  const target = resolve(path)
  const files = [resolve(db), ...COMPANIONS.map((c) => resolve(db + c))]
  if (files.includes(target)) return true
  if (!existsSync(target)) return false
  const real = realpathSync(target)
  const stat = statSync(target)
  return files.some((file) => {
    if (!existsSync(file)) return false
    const other = statSync(file)
    return realpathSync(file) === real || (other.ino === stat.ino && other.dev === stat.dev)
  })
}
