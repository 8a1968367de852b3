import { FlakeseedError } from '../src/core/errors.js'
import { shortSha, visible } from '../src/core/format.js'
import { testId } from '../src/core/names.js'
import { localTime, openStore, printJson, table, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  limit: number
}

export function history(query: string, options: Options): number {
  const store = openStore(options)
  try {
    const tests = store.findTests(query)
    if (!tests.length) throw new FlakeseedError(`flakeseed: no recorded test matches "${visible(query)}"`)
    const rows = store.history(
      tests.map((t) => t.id),
      options.limit,
    )
    if (options.json) {
      printJson(
        rows.map((r) => ({
          run: r.run,
          seed: r.seed,
          commit: r.commit,
          state: r.state,
          project: r.project,
          file: r.file,
          name: r.name,
          test: testId(r.project, r.file, r.name),
          fileIndex: r.fileIndex,
          testIndex: r.testIndex,
          kind: r.kind,
          startedAt: r.startedAt,
        })),
      )
      return 0
    }
    const several = tests.length > 1
    const out = [['run', 'started', 'commit', 'seed', 'state', 'position', ...(several ? ['test'] : [])]]
    for (const r of rows) {
      out.push([
        r.kind === 'run' ? String(r.run) : `${r.run} (${r.kind})`,
        localTime(r.startedAt),
        shortSha(r.commit),
        visible(r.seed),
        r.state,
        `file ${r.fileIndex + 1}, test ${r.testIndex + 1}`,
        ...(several ? [visible(testId(r.project, r.file, r.name))] : []),
      ])
    }
    if (!several) console.log(visible(testId(tests[0]!.project, tests[0]!.file, tests[0]!.name)))
    else console.log(`${tests.length} tests match "${visible(query)}"`)
    console.log(table(out))
    return 0
  } finally {
    store.close()
  }
}
