import { causeSummary } from '../src/analysis/causes.js'
import type { BisectProgress } from '../src/bisect/coordinator.js'
import { describeReport, reportOf } from '../src/bisect/report.js'
import { type BisectSessionResult, runBisectSession } from '../src/bisect/session.js'
import { visible } from '../src/core/format.js'
import { commandOptions, DB_TIMEOUT, dbPath, printJson, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  test?: string
  repeat: number
  cleaners?: boolean
  /** `--no-diagnose` sets it false. */
  diagnose: boolean
  config?: string
  jobs: number
  /** Only failures the history does not explain yet. */
  new?: boolean
  /** Seconds for all the bisecting together. */
  budget?: number
}

export async function bisectCommand(ref: string, options: Options): Promise<number> {
  const started = Date.now()
  const json = Boolean(options.json)
  const progress = makeProgress(json, started)
  const result = await runBisectSession(
    {
      ref,
      db: dbPath(options),
      dbTimeout: DB_TIMEOUT,
      test: options.test,
      new: options.new,
      budget: options.budget,
      repeat: options.repeat,
      cleaners: Boolean(options.cleaners),
      diagnose: options.diagnose !== false,
      config: options.config,
      jobs: options.jobs,
      commands: commandOptions(options),
    },
    {
      start: progress.start,
      progress: progress.event,
      done: progress.done,
      interrupted: () => process.stderr.write('\nflakeseed: interrupted; the smallest set found so far follows (Ctrl-C again to quit now)\n'),
      // The probe pool's note is for a reader; a finding not saved is said whatever the format.
      note: (line) => {
        if (!json) process.stderr.write(`flakeseed: ${line}\n`)
      },
      warning: (line) => process.stderr.write(`flakeseed: ${line}\n`),
    },
  )
  printResult(result, options)
  if (result.stopped) process.stderr.write(`${result.stopped}\n`)
  // Interrupted: what Vitest left running (a probe, its pool's timers) must not keep us.
  if (result.interrupted && !result.stopped) process.exit(result.exit)
  return result.exit
}

function printResult({ findings, left, explainedAlready }: BisectSessionResult, options: Options): void {
  if (explainedAlready) {
    const checks = explainedAlready.typeChecks
    if (options.json) printJson({ findings: [], left: [] })
    else if (checks) console.log(`flakeseed: every other failure of the run is explained by the history already; ${checks}`)
    else console.log('flakeseed: every failure of the run is explained by the history already (a finding, or known broken)')
    return
  }
  if (options.json) {
    const shaped = findings.map(reportOf)
    // --new and --budget say what was left: one document with both.
    if (options.new || options.budget) printJson({ findings: shaped, left })
    else printJson(shaped.length === 1 ? shaped[0] : shaped)
    return
  }
  for (const f of findings) console.log(describeReport(reportOf(f)))
  for (const block of causeSummary(findings.map(reportOf))) console.log(block)
  if ((options.new || options.budget) && left.length)
    console.log(leftLine(findings.length + left.filter((l) => !findings.some((f) => f.victim === l.test)).length, left))
}

/** `flakeseed: 1 of 3 failures explained; left: a > b (budget of 120 s used up), …` */
function leftLine(total: number, left: ReadonlyArray<{ test: string; why: string }>): string {
  return `flakeseed: ${total - left.length} of ${total} failure${total === 1 ? '' : 's'} explained; left: ${left.map((l) => `${l.test} (${l.why})`).join(', ')}`
}

/** Progress on a terminal: probe k, candidates left, best set so far, elapsed time; nothing under --json. */
function makeProgress(json: boolean, started: number) {
  const tty = process.stderr.isTTY && !json
  let line = ''
  const write = (text: string) => {
    if (!tty) return
    line = text
    process.stderr.write(`\r\x1b[K${text}`)
  }
  return {
    start(victim: string) {
      write(`bisecting ${visible(victim)}`)
    },
    event(e: BisectProgress) {
      const elapsed = `${((Date.now() - started) / 1000).toFixed(1)} s`
      if (e.type === 'phase') write(`${e.phase} · ${elapsed}`)
      else if (e.type === 'probe') write(`probe ${e.probe}: ${e.candidates} tests before the victim → ${e.outcome} · ${elapsed}`)
      else write(`${e.remaining} candidates left · best so far ${e.best} · ${elapsed}`)
    },
    done() {
      if (tty && line) process.stderr.write('\r\x1b[K')
    },
  }
}
