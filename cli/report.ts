import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_MAX_RUN_FAILURE_RATE, DEFAULT_MIN_RUNS, DEFAULT_WINDOW } from '../src/defaults.js'
import { FlakeseedError } from '../src/errors.js'
import { percent, plural } from '../src/format.js'
import { reportData } from '../src/html-report/data.js'
import { renderReport } from '../src/html-report/render.js'
import { dbWords, leftOutLine, openStore, parseSince, percentage, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  html?: string
  window?: number
  since?: string
  branch?: string
  maxRunFailureRate: number
  minRuns: number
}

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('report')
    .description('write a self-contained HTML report: suite health over time, flakiest tests with their timelines, details')
    .requiredOption('--html <file>', 'the HTML file to write')
    .option('--window <n>', `the newest n runs (default ${DEFAULT_WINDOW}; all runs since --since when only that is given)`, positiveInt)
    .option('--since <date>', 'only runs started on or after this date (YYYY-MM-DD or ISO date-time)')
    .option('--branch <name>', 'only runs on this branch')
    .option(
      '--max-run-failure-rate <percent>',
      `leave out runs in which more than this share of the tests failed (default ${percent(DEFAULT_MAX_RUN_FAILURE_RATE)})`,
      percentage,
      DEFAULT_MAX_RUN_FAILURE_RATE,
    )
    .option('--min-runs <n>', `outcomes a test needs for a rate and a class other than suspected (default ${DEFAULT_MIN_RUNS})`, positiveInt, DEFAULT_MIN_RUNS)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: Options) => action(() => report(options)))
}

export function report(options: Options): number {
  const since = options.since === undefined ? undefined : parseSince(options.since)
  const store = openStore(options)
  let data: ReturnType<typeof reportData>
  try {
    data = reportData(store, {
      window: options.window,
      since,
      branch: options.branch,
      maxRunFailureRate: options.maxRunFailureRate,
      minRuns: options.minRuns,
      db: dbWords(options),
    })
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
  const leftOut = data.runs.filter((r) => r.leftOut)
  if (options.json) printJson({ file, runs: data.runs.length, leftOut: leftOut.map((r) => r.id), tests: data.tests.length })
  else {
    const shown = relative(process.cwd(), file)
    console.log(`flakeseed report: ${plural(data.runs.length, 'run')}, ${plural(data.tests.length, 'flaky test')} → ${shown.startsWith('..') ? file : shown}`)
    const line = leftOutLine(leftOut, data.maxRunFailureRate)
    if (line) console.log(line)
  }
  return 0
}
