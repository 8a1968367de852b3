// A store failure as one line a user can act on: which file, and what is wrong with it.
import { FlakeseedError, firstLine } from '../core/errors.js'
import { bindingError } from './binding.js'
import { shellQuote } from '../core/quote.js'

/** The history's file or folder takes no writes (read-only media, permissions). */
export class NotWritableError extends FlakeseedError {
  constructor(path: string) {
    super(`flakeseed: ${path} is not writable`)
  }
}

/** An error SQLite raised. */
export function isStoreError(error: unknown): boolean {
  return String((error as { code?: unknown } | null)?.code ?? '').startsWith('SQLITE_')
}

/** A store failure as one line a user can act on: what is wrong with which file. */
export function asStoreError(error: unknown, path: string, doing = 'cannot open'): Error {
  if (error instanceof FlakeseedError) return error
  // Not this file's fault: better-sqlite3 itself cannot load, whatever the file.
  const binding = bindingError(error)
  if (binding) return binding
  const code = String((error as { code?: unknown } | null)?.code ?? '')
  const message = (error as Error)?.message ?? String(error)
  if (code === 'SQLITE_NOTADB' || /not a database/i.test(message)) {
    return new FlakeseedError(`flakeseed: ${path} is not a SQLite database`)
  }
  if (code.startsWith('SQLITE_CORRUPT') || /malformed/i.test(message)) return damaged(path, message)
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_LOCKED') || /locked|busy/i.test(message)) {
    return new FlakeseedError(`flakeseed: ${path} is locked by another process`)
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new NotWritableError(path)
  }
  // The file passed the checks at open but a query needs what it lacks.
  if (code === 'SQLITE_ERROR' && /no such (table|column)/.test(message)) {
    return new FlakeseedError(`flakeseed: ${path} is not a flakeseed history (${firstLine(message)})`)
  }
  return new FlakeseedError(`flakeseed: ${doing} ${path}: ${firstLine(message)}`)
}

/** A damaged file, and how to get back what is left of it. */
export function damaged(path: string, why: string): FlakeseedError {
  return new FlakeseedError(
    `flakeseed: ${path} is damaged (${firstLine(why)}): run \`sqlite3 ${shellQuote(path)} .recover | sqlite3 recovered.db\` and use recovered.db`,
  )
}
