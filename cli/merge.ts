import { mergeDatabases } from '../src/store/merge.js'
import { FlakeseedError } from '../src/core/errors.js'
import { plural } from '../src/core/format.js'
import { DB_TIMEOUT, printJson } from './common.js'

export interface Options {
  into?: string
  db?: string
  json?: boolean
}

export function merge(dbs: string[], options: Options): number {
  const into = target(options)
  const summary = mergeDatabases(dbs, into, DB_TIMEOUT)
  if (options.json) {
    printJson(summary)
    return 0
  }
  console.log(
    `merged ${plural(summary.sources, 'database')} into ${into}: ${plural(summary.runsAdded, 'run')} added, ` +
      `${summary.runsSkipped} already there, ${plural(summary.resultsAdded, 'result')} added` +
      (summary.findingsAdded ? `, ${plural(summary.findingsAdded, 'finding')} added` : ''),
  )
  return 0
}

/** `--into`, or `--db` as every other command names its history; never two different ones. */
function target(options: Options): string {
  const { into, db } = options
  if (into !== undefined && db !== undefined && into !== db) {
    throw new FlakeseedError(`flakeseed: merge got --into ${into} and --db ${db}: give the database to merge into once`)
  }
  const path = into ?? db
  if (path === undefined) throw new FlakeseedError('flakeseed: merge needs the database to merge into: --into PATH (or --db PATH)')
  return path
}
