import type { Command } from 'commander'
import { localTime, openStore, positiveInt, printJson, shortSha, table, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  limit: number
}

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program.command('runs')
    .description('recent runs: id, time, commit, branch, seed, passed/failed/skipped, status')
    .option('--limit <n>', 'how many runs', positiveInt, 20)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: Options) => action(() => runs(options)))
}

export function runs(options: Options): number {
  const store = openStore(options)
  try {
    const list = store.listRuns(options.limit)
    if (options.json) {
      printJson(list)
      return 0
    }
    if (!list.length) {
      console.log('no runs recorded yet')
      return 0
    }
    const rows = [['run', 'started', 'commit', 'branch', 'seed', 'pass', 'fail', 'skip', 'status']]
    for (const r of list) {
      rows.push([
        String(r.id),
        localTime(r.startedAt),
        shortSha(r.commit),
        r.branch ?? '-',
        r.seed,
        String(r.passed),
        String(r.failed),
        String(r.skipped),
        r.kind === 'run' ? r.status : `${r.status} (${r.kind})`,
      ])
    }
    console.log(table(rows))
    return 0
  } finally {
    store.close()
  }
}
