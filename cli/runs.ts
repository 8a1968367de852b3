import { shortSha, visible } from '../src/core/format.js'
import { listLogicalRuns } from '../src/store/shards.js'
import { localTime, openStore, printJson, table, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  limit: number
}

export function runs(options: Options): number {
  const store = openStore(options)
  try {
    // Shards of one build are one logical run (src/store/shards.ts has the grouping rule).
    const list = listLogicalRuns(store, options.limit)
    if (options.json) {
      printJson(list)
      return 0
    }
    if (!list.length) {
      console.log('no runs recorded yet')
      return 0
    }
    const rows = [['run', 'started', 'commit', 'branch', 'seed', 'shards', 'pass', 'fail', 'skip', 'status']]
    for (const r of list) {
      rows.push([
        String(r.id),
        localTime(r.startedAt),
        shortSha(r.commit),
        visible(r.branch ?? '-'),
        visible(r.seed),
        r.shard ?? '-',
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
