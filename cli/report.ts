import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { FlakeseedError, firstLine } from '../src/core/errors.js'
import { plural } from '../src/core/format.js'
import { reportData } from '../src/html-report/data.js'
import { renderReport } from '../src/html-report/render.js'
import { hasSqliteHeader, isDatabaseFile, makeParentDirs } from '../src/store/files.js'
import { commandOptions, dbPath, leftOutLine, openStore, parseSince, printJson, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  html?: string
  window?: number
  since?: string
  branch?: string
  maxRunFailureRate: number
  minRuns: number
  top: number
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
