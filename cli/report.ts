import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { DEFAULT_MAX_RUN_FAILURE_RATE, DEFAULT_MIN_RUNS, DEFAULT_TOP, DEFAULT_WINDOW } from '../src/core/defaults.js'
import { FlakeseedError, firstLine } from '../src/core/errors.js'
import { percent, plural } from '../src/core/format.js'
import { reportData } from '../src/html-report/data.js'
import { renderReport } from '../src/html-report/render.js'
import { hasSqliteHeader, isDatabaseFile, makeParentDirs } from '../src/store/files.js'
import { commandOptions, dbPath, leftOutLine, openStore, parseSince, percentage, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  html?: string
  window?: number
  since?: string
  branch?: string
  maxRunFailureRate: number
  minRuns: number
  top: number
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
    .option('--top <n>', `flaky tests shown in full, with timeline and details; the rest as a compact list (default ${DEFAULT_TOP})`, positiveInt, DEFAULT_TOP)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: Options) => action(() => report(options)))
}

export function report(options: Options): number {
  const since = options.since === undefined ? undefined : parseSince(options.since)
  const file = resolve(options.html!)
  // Checked before anything is read or written: a report must never replace a history.
  refuseOutput(options.html!, file, dbPath(options))
  const store = openStore(options)
  let data: ReturnType<typeof reportData>
  try {
    data = reportData(store, {
      window: options.window,
      since,
      branch: options.branch,
      maxRunFailureRate: options.maxRunFailureRate,
      minRuns: options.minRuns,
      top: options.top,
      ...commandOptions(options),
    })
  } finally {
    store.close()
  }
  const db = relative(process.cwd(), data.db)
  if (!db.startsWith('..')) data.db = db
  writeReport(options.html!, file, renderReport(data))
  const leftOut = data.runs.filter((r) => r.leftOut)
  if (options.json)
    printJson({ file, runs: data.runs.length, leftOut: leftOut.map((r) => r.id), tests: data.tests.length, full: Math.min(options.top, data.tests.length) })
  else {
    const shown = relative(process.cwd(), file)
    const full = data.tests.length > options.top ? ` (top ${options.top} in full)` : ''
    console.log(
      `flakeseed report: ${plural(data.runs.length, 'run')}, ${plural(data.tests.length, 'flaky test')}${full} → ${shown.startsWith('..') ? file : shown}`,
    )
    const line = leftOutLine(leftOut, data.maxRunFailureRate)
    if (line) console.log(line)
  }
  return 0
}

/** The output is not the history (or its companions), nor any other SQLite database, nor a folder. */
function refuseOutput(given: string, file: string, db: string): void {
  if (isDatabaseFile(file, db)) throw new FlakeseedError(`flakeseed: --html ${given} is the history database ${db}: give the report another name`)
  if (!existsSync(file)) return
  if (statSync(file).isDirectory()) throw new FlakeseedError(`flakeseed: --html ${given} is a folder: give a file name`)
  if (hasSqliteHeader(file)) throw new FlakeseedError(`flakeseed: --html ${given} is a SQLite database: not overwriting it, give the report another name`)
}

/** Written beside the target and renamed into place: a report cut short never leaves half a file. */
function writeReport(given: string, file: string, html: string): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  try {
    makeParentDirs(file)
    writeFileSync(temp, html)
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, { force: true })
    if (error instanceof FlakeseedError) throw error
    throw new FlakeseedError(`flakeseed: cannot write ${given}: ${firstLine(error)}`)
  }
}
