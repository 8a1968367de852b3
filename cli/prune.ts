import { FlakeseedError } from '../src/core/errors.js'
import { pruneStore } from '../src/store/prune.js'
import { dbPath, openHistory, printJson, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  keep?: number
  olderThan?: number
}

export function prune(options: Options): number {
  if (options.keep === undefined && options.olderThan === undefined) throw new FlakeseedError('flakeseed: prune needs --keep N or --older-than DAYS')
  const path = dbPath(options)
  // Opened read-only first: a missing file is an error here, not a new empty history.
  openHistory(path, { readonly: true }).close()
  const store = openHistory(path)
  try {
    const summary = pruneStore(store, { keep: options.keep, olderThanDays: options.olderThan })
    if (options.json) {
      printJson(summary)
      return 0
    }
    console.log(
      `pruned ${summary.runsRemoved} run${summary.runsRemoved === 1 ? '' : 's'} (${summary.resultsRemoved} results, ` +
        `${summary.testsRemoved} tests, ${summary.findingsRemoved} findings); ${summary.runsKept} run${summary.runsKept === 1 ? '' : 's'} kept`,
    )
    if (summary.runningKept) console.log(`kept ${summary.runningKept} run${summary.runningKept === 1 ? '' : 's'} still being recorded`)
    console.log(`size ${formatBytes(summary.bytesBefore)} → ${formatBytes(summary.bytesAfter)}`)
    return 0
  } finally {
    store.close()
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
