// A store failure as one line a user can act on: which file, and what is wrong with it.
import { FlakeseedError } from '../errors.js'
import { bindingError } from './binding.js'

/** A store failure as one line a user can act on: what is wrong with which file. */
export function asStoreError(error: unknown, path: string, doing = 'cannot open'): Error {
  if (error instanceof FlakeseedError) return error
  // Not this file's fault: better-sqlite3 itself cannot load, whatever the file.
  const binding = bindingError(error)
  if (binding) return binding
  const code = (error as { code?: string }).code ?? ''
  const message = (error as Error).message ?? String(error)
  if (code === 'SQLITE_NOTADB' || /not a database/i.test(message)) {
    return new FlakeseedError(`flakeseed: ${path} is not a SQLite database`)
  }
  if (code === 'SQLITE_BUSY' || /locked|busy/i.test(message)) {
    return new FlakeseedError(`flakeseed: ${path} is locked by another process`)
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new FlakeseedError(`flakeseed: ${path} is not writable`)
  }
  return new FlakeseedError(`flakeseed: ${doing} ${path}: ${message.split('\n')[0]}`)
}
