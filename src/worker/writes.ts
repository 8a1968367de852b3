// What a probe's tests write: during a replay or bisect probe, each worker notes every path its
// process creates, changes or deletes through Node's `fs` (sync, callback and promise forms), one
// absolute path per line in a file of the probe's folder. The probe then puts back exactly those
// paths (src/run/probe-files.ts): an edit the user makes to the project while bisect runs is
// theirs and keeps its bytes. Writes made by other processes (a test that spawns `git`) are not
// seen, so they are not put back either. Writer and reader of the format live here together.
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

// The CommonJS `fs` object: its functions can be replaced (an ESM namespace's cannot), and
// `syncBuiltinESMExports` then hands the replacements to `import { writeFileSync } from 'node:fs'`.
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs')
const HOLDER = Symbol.for('flakeseed.writes')

/**
 * The suffix of a recorded run's note of paths that existed before the tests first wrote them:
 * maybe the user's, so not taken as the tests' unless a recorded run's tests left them
 * (src/run/leftovers.ts).
 */
const REWRITTEN = '.rewritten'

/** Path arguments that a call writes, by function name (index of each path argument). */
const WRITERS: Record<string, number[]> = {
  writeFile: [0],
  appendFile: [0],
  truncate: [0],
  mkdir: [0],
  rm: [0],
  rmdir: [0],
  unlink: [0],
  copyFile: [1],
  cp: [1],
  rename: [0, 1],
  symlink: [1],
  link: [1],
  utimes: [0],
  lutimes: [0],
}

/** Flags of `open` that write (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND). */
const WRITE_BITS = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND

interface Tracker {
  /** The current probe's folder (a worker process may serve several probes); none: nothing is noted. */
  dir: string | undefined
  worker: string
  seen: Set<string>
  /**
   * A recorded run: paths that did not exist before their first write (the files the tests
   * created); the others go to a note of their own (`REWRITTEN`), read by `readRewrites`.
   */
  createdOnly: boolean
}

/**
 * Starts noting this process's writes into `dir` (runs in the worker). The wrappers are installed
 * once per process or thread (`installWrites`); a later probe only moves where the notes go.
 * Never throws: a failure to note a write must not affect the test, and the write itself always
 * happens exactly as asked.
 */
export function trackWrites(dir: string, worker: string, createdOnly = false): void {
  const tracker = installWrites()
  if (!tracker) return
  tracker.worker = worker
  if (tracker.dir !== dir || tracker.createdOnly !== createdOnly) Object.assign(tracker, { dir, createdOnly, seen: new Set<string>() })
}

/**
 * Wraps the writing functions of this process's CommonJS `fs` object, once: the tracker lives on
 * `process`, which the vm pools' contexts share with the worker's own realm (a context's
 * `globalThis` is its own, and a runner loads in every context). In the vm pools this runs first
 * from the preload (src/worker/writes-preload.ts), before any context copies `node:fs`'s
 * functions into its own module. Notes nothing until `trackWrites` names a folder.
 */
export function installWrites(): Tracker | undefined {
  const holder = process as unknown as Record<symbol, Tracker | undefined>
  const current = holder[HOLDER]
  if (current) return current
  const tracker: Tracker = { dir: undefined, worker: String(process.pid), seen: new Set(), createdOnly: false }
  holder[HOLDER] = tracker
  const append = fs.appendFileSync
  const lstat = fs.lstatSync
  // Node's appendFileSync calls the exported writeFileSync: the note's own write is not a test's.
  let noting = false
  const note = (target: unknown): void => {
    if (noting || tracker.dir === undefined) return
    noting = true
    try {
      const path = pathOf(target)
      if (path === undefined || tracker.seen.has(path)) return
      tracker.seen.add(path)
      // One look per path, before its first write: whether the tests created it.
      const existed = tracker.createdOnly && lstat(path, { throwIfNoEntry: false }) !== undefined
      append(`${tracker.dir}/${tracker.worker}${existed ? REWRITTEN : ''}`, `${path}\n`)
    } catch {
      // Never let the note affect the test.
    } finally {
      noting = false
    }
  }
  try {
    wrap(fs as unknown as Record<string, unknown>, note, true)
    wrap(fs.promises as unknown as Record<string, unknown>, note, false)
    syncBuiltinESMExports()
  } catch {
    // A frozen or replaced fs: nothing is noted, and nothing is put back.
  }
  return tracker
}

function wrap(target: Record<string, unknown>, note: (path: unknown) => void, sync: boolean): void {
  const names: Array<[string, number[]]> = []
  for (const [name, at] of Object.entries(WRITERS)) names.push(...(sync ? [name, `${name}Sync`] : [name]).map((n): [string, number[]] => [n, at]))
  for (const [name, at] of names) {
    const original = target[name]
    if (typeof original !== 'function') continue
    target[name] = renamed(name, function (this: unknown, ...args: unknown[]) {
      for (const i of at) note(args[i])
      return original.apply(this, args)
    })
  }
  for (const name of sync ? ['open', 'openSync', 'createWriteStream'] : ['open']) {
    const original = target[name]
    if (typeof original !== 'function') continue
    target[name] = renamed(name, function (this: unknown, ...args: unknown[]) {
      if (name === 'createWriteStream' ? writesStream(args[1]) : writesFlags(args[1])) note(args[0])
      return original.apply(this, args)
    })
  }
}

/** Keeps the function's name, which error messages and spies show. */
function renamed<T extends (...args: never[]) => unknown>(name: string, fn: T): T {
  Object.defineProperty(fn, 'name', { value: name })
  return fn
}

function writesFlags(flags: unknown): boolean {
  if (typeof flags === 'number') return (flags & WRITE_BITS) !== 0
  return typeof flags === 'string' && /[wa+]/.test(flags)
}

function writesStream(options: unknown): boolean {
  const flags = typeof options === 'object' && options !== null ? (options as { flags?: unknown }).flags : undefined
  return flags === undefined || writesFlags(flags)
}

/** An absolute path from a path argument (string, Buffer or file URL); undefined for a descriptor. */
function pathOf(target: unknown): string | undefined {
  let path: string | undefined
  if (typeof target === 'string') path = target
  else if (target instanceof URL) path = fileURLToPath(target)
  else if (Buffer.isBuffer(target)) path = target.toString()
  if (path === undefined) return undefined
  return isAbsolute(path) ? path : resolve(process.cwd(), path)
}

/**
 * Noted absolute paths inside `root`, relative to it (`/`-separated); the root itself and paths
 * outside it dropped. Workers name the root as their working folder does: as given or with
 * symlinks resolved.
 */
export function notedIn(wrote: Iterable<string>, root: string): string[] {
  const roots = [resolve(root)]
  try {
    roots.push(fs.realpathSync(root))
  } catch {
    // A root that cannot be resolved is named as given.
  }
  const paths: string[] = []
  for (const path of wrote) {
    for (const base of roots) {
      const rel = relative(base, path)
      if (rel && !rel.startsWith('..') && !isAbsolute(rel)) {
        paths.push(rel.split(sep).join('/'))
        break
      }
    }
  }
  return paths
}

/** Whether `file` (relative) was noted: itself, inside a noted folder, or a folder holding a noted path. */
export function isNoted(noted: readonly string[], file: string): boolean {
  return noted.some((p) => p === file || file.startsWith(`${p}/`) || p.startsWith(`${file}/`))
}

/** Every path the probe's workers noted in `dir` (absolute, as the workers saw them); a recorded run's: the paths its tests created. */
export function readWrites(dir: string): Set<string> {
  return readNotes(dir, false)
}

/** The paths a recorded run's workers noted in `dir` that existed before the tests first wrote them. */
export function readRewrites(dir: string): Set<string> {
  return readNotes(dir, true)
}

function readNotes(dir: string, rewritten: boolean): Set<string> {
  const paths = new Set<string>()
  let files: string[] = []
  try {
    files = fs.readdirSync(dir).filter((file) => file.endsWith(REWRITTEN) === rewritten)
  } catch {
    return paths
  }
  for (const file of files) {
    try {
      for (const line of fs.readFileSync(`${dir}/${file}`, 'utf8').split('\n')) if (line) paths.add(line)
    } catch {
      // A log that cannot be read notes nothing.
    }
  }
  return paths
}
