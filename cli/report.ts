import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_WINDOW } from '../src/defaults.js'
import { FlakeseedError } from '../src/errors.js'
import { plural } from '../src/format.js'
import { reportData } from '../src/html-report/data.js'
import { renderReport } from '../src/html-report/render.js'
import { commandOptions, openStore, parseSince, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  html?: string
  window?: number
  since?: string
  branch?: string
}

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('report')
    .description('write a self-contained HTML report: suite health over time, flakiest tests with their timelines, details')
    .requiredOption('--html <file>', 'the HTML file to write')
    .option('--window <n>', `the newest n runs (default ${DEFAULT_WINDOW}; all runs since --since when only that is given)`, positiveInt)
    .option('--since <date>', 'only runs started on or after this date (YYYY-MM-DD or ISO date-time)')
    .option('--branch <name>', 'only runs on this branch')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: Options) => action(() => report(options)))
}

export function report(options: Options): number {
  const since = options.since === undefined ? undefined : parseSince(options.since)
  const store = openStore(options)
  let data: ReturnType<typeof reportData>
  try {
    data = reportData(store, { window: options.window, since, branch: options.branch, ...commandOptions(options) })
  } finally {
    store.close()
  }
  const db = relative(process.cwd(), data.db)
  if (!db.startsWith('..')) data.db = db
  const file = resolve(options.html!)
  try {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, renderReport(data))
  } catch (error) {
    throw new FlakeseedError(`flakeseed: cannot write ${options.html}: ${(error as Error).message.split('\n')[0]}`)
  }
  if (options.json) printJson({ file, runs: data.runs.length, tests: data.tests.length })
  else {
    const shown = relative(process.cwd(), file)
    console.log(`flakeseed report: ${plural(data.runs.length, 'run')}, ${plural(data.tests.length, 'flaky test')} → ${shown.startsWith('..') ? file : shown}`)
  }
  return 0
}
