import type { Command } from 'commander'
import { mergeDatabases } from '../src/store/merge.js'
import { plural } from '../src/format.js'
import { printJson } from './common.js'

interface Options {
  into: string
  json?: boolean
}

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('merge')
    .description('merge history DBs (CI shards, parallel jobs) into one; runs already there are skipped (by uuid)')
    .argument('<dbs...>', 'history databases to merge (read only)')
    .requiredOption('--into <path>', 'the database to merge into (created when missing)')
    .option('--json', 'print JSON')
    .action((dbs: string[], options: Options) => action(() => merge(dbs, options)))
}

export function merge(dbs: string[], options: Options): number {
  const summary = mergeDatabases(dbs, options.into)
  if (options.json) {
    printJson(summary)
    return 0
  }
  console.log(
    `merged ${plural(summary.sources, 'database')} into ${options.into}: ${plural(summary.runsAdded, 'run')} added, ` +
      `${summary.runsSkipped} already there, ${plural(summary.resultsAdded, 'result')} added` +
      (summary.findingsAdded ? `, ${plural(summary.findingsAdded, 'finding')} added` : ''),
  )
  return 0
}
