import type { Command } from 'commander'
import { bisect, type BisectProgress } from '../src/bisect/coordinator.js'
import { NOD_REPEAT, replayCommand } from '../src/commands.js'
import { DEFAULT_BISECT_REPEAT } from '../src/defaults.js'
import { FlakeseedError } from '../src/errors.js'
import { someOf, visible } from '../src/format.js'
import { PlanExecutor } from '../src/execute.js'
import type { Finding, RecordedTest } from '../src/model.js'
import { idOf } from '../src/names.js'
import type { Plan } from '../src/order.js'
import { location, recordedOrder, selectTests } from '../src/selection.js'
import { runsWhereTestPassed, saveFinding } from '../src/store/findings.js'
import { Store, type RunRow } from '../src/store/index.js'
import { logicalRun } from '../src/store/shards.js'
import { fixText, leakText } from '../src/format.js'
import { commandOptions, dbPath, EXIT, openStore, positiveInt, printJson, type CommonOptions } from './common.js'

interface Options extends CommonOptions {
  test?: string
  repeat: number
  cleaners?: boolean
  /** `--no-diagnose` sets it false. */
  diagnose: boolean
  config?: string
}

export function register(program: Command, action: (fn: () => number | Promise<number>) => Promise<void>): void {
  program
    .command('bisect')
    .description('find the minimal set of earlier tests that makes a failing test fail (or, for a brittle test, pass)')
    .argument('[run]', 'run id, or last (default: last)')
    .option('--test <test>', 'the failing test to explain (default: each failing test of the run)')
    .option(
      '--repeat <k>',
      'runs per check; above 1 a result must hold up k times in a row, and a test that flips on one fixed order is reported as non-deterministic; 1 trusts every probe (fastest)',
      positiveInt,
      DEFAULT_BISECT_REPEAT,
    )
    .option(
      '--cleaners',
      'also find tests of the suite that undo the pollution when run between polluter and victim (searched anyway when no leak is the cause)',
    )
    .option('--no-diagnose', 'only find the culprits: skip finding what they left behind and the fix')
    .option('--config <path>', 'Vitest config file (default: the one the recorded run used)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((ref: string | undefined, options: Options) => action(() => bisectCommand(ref ?? 'last', options)))
}

export async function bisectCommand(ref: string, options: Options): Promise<number> {
  const store = openStore(options)
  let run: RunRow
  /** Each victim with the recorded order it failed in: its own shard's, for a sharded run. */
  const jobs: Array<{ victim: RecordedTest; run: RunRow; order: RecordedTest[] }> = []
  const passingRuns = new Map<string, Array<{ results: RecordedTest[]; isolate: boolean }>>()
  try {
    run = store.resolveRun(ref)
    // The shards of one build are one run: `last` is its last shard, and a failure may be in any.
    const parts = logicalRun(store, run).map((part) => ({ run: part, order: recordedOrder(store.results(part.id)) }))
    if (options.test) {
      const test = options.test
      const failed = (p: (typeof parts)[number]) => hasTest(p.order, test) && selectTests(p.order, [test]).some((t) => t.state === 'failed')
      const part = parts.find(failed) ?? parts.find((p) => hasTest(p.order, test)) ?? parts.find((p) => p.run.id === run!.id)!
      const victims = selectTests(part.order, [test]).filter((t) => t.state === 'failed')
      // A test that passed explains nothing: bisecting it would only store a wrong finding.
      if (!victims.length) {
        const failing = parts.flatMap((p) => p.order.filter((t) => t.state === 'failed').map((t) => visible(idOf(t))))
        const which = parts.length > 1 ? `runs ${parts.map((p) => p.run.id).join(', ')} (shards of one run)` : `run ${run.id}`
        throw new FlakeseedError(
          `flakeseed: "${visible(test)}" did not fail in ${which}; ${failing.length ? `its failing tests: ${someOf(failing)}` : 'no test failed in it'}`,
        )
      }
      for (const victim of victims) jobs.push({ victim, ...part })
    } else {
      for (const part of parts) for (const victim of part.order.filter((t) => t.state === 'failed')) jobs.push({ victim, ...part })
    }
    if (!jobs.length) {
      const which = parts.length > 1 ? `runs ${parts.map((p) => p.run.id).join(', ')} (shards of one run) have` : `run ${run.id} has`
      throw new FlakeseedError(`flakeseed: ${which} no failing test (pick one with --test)`)
    }
    for (const { victim, run: part } of jobs) {
      const runs = runsWhereTestPassed(store, idOf(victim), part.id).map((id) => {
        const other = store.resolveRun(String(id))
        return { results: recordedOrder(store.results(id)), isolate: other.isolate ?? true }
      })
      passingRuns.set(idOf(victim), runs)
    }
  } finally {
    store.close()
  }

  const { root, config } = location(run, options.config)
  const started = Date.now()
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
    // The signal also reached Vitest's workers; one that dies between tasks makes Vitest's pool
    // emit an 'error' nobody listens to. We are on our way out: that must not crash the report.
    process.on('uncaughtException', () => {})
    process.stderr.write('\nflakeseed: interrupted; the smallest set found so far follows (Ctrl-C again to quit now)\n')
  }
  process.on('SIGINT', onSigint)
  const progress = makeProgress(Boolean(options.json), started)
  const protect = [dbPath(options)]
  const executor = await PlanExecutor.create({
    root,
    config,
    seed: run.seed,
    kind: 'probe',
    db: false,
    isolate: run.isolate ?? undefined,
    quiet: true,
    protect,
  })
  // For culprits in other files (isolate: false): the same probe with every file isolated.
  let isolated: Promise<PlanExecutor> | undefined
  const executeIsolated =
    run.isolate === false
      ? async (plan: Plan) =>
          (await (isolated ??= PlanExecutor.create({ root, config, seed: run.seed, kind: 'probe', db: false, isolate: true, quiet: true, protect }))).run(plan)
      : undefined
  const findings: Array<Finding & { run: number; command: string; seconds: number }> = []
  try {
    for (const { victim, run: part, order } of jobs) {
      if (controller.signal.aborted) break
      const victimStarted = Date.now()
      progress.start(idOf(victim))
      const finding = await bisect({
        victim: idOf(victim),
        failing: order,
        isolate: part.isolate ?? true,
        passing: passingRuns.get(idOf(victim)) ?? [],
        repeat: options.repeat,
        cleaners: Boolean(options.cleaners),
        diagnose: options.diagnose !== false,
        error: (victim as RecordedTest & { error?: string | null }).error ?? null,
        execute: (plan, diagnose) => executor.run(plan, diagnose),
        executeIsolated,
        signal: controller.signal,
        onProgress: progress.event,
      })
      progress.done()
      findings.push({ ...finding, run: part.id, command: reproduce(part.id, finding, options), seconds: (Date.now() - victimStarted) / 1000 })
    }
  } finally {
    // After Ctrl-C, Vitest may wait a minute for workers the signal killed: not for that.
    const all = async () => {
      await executor.close()
      if (isolated) await (await isolated).close()
    }
    if (controller.signal.aborted) await Promise.race([all().catch(() => {}), new Promise((r) => setTimeout(r, 1000))])
    else await all()
    process.off('SIGINT', onSigint)
  }

  // Findings are history too: later commands (flaky, the HTML report) know the cause.
  try {
    const writable = Store.open(dbPath(options))
    try {
      for (const f of findings) if (!f.interrupted) saveFinding(writable, f.run, f, f.command)
    } finally {
      writable.close()
    }
  } catch (error) {
    process.stderr.write(`flakeseed: could not save the findings: ${(error as Error).message}\n`)
  }

  if (options.json) {
    const shaped = findings.map((f) => ({
      victim: f.victim,
      kind: f.kind,
      polluters: f.describe ? [f.describe] : f.polluters,
      stateSetters: f.stateSetters,
      cleaners: f.cleaners,
      probes: f.probes,
      ...(f.probesToFind !== undefined && f.probesToFind < f.probes ? { probesToFind: f.probesToFind } : {}),
      command: f.command,
      ...(f.describe ? { pollutingTests: f.polluters } : {}),
      ...(f.failures ? { failures: f.failures } : {}),
      ...(f.interrupted ? { interrupted: true } : {}),
      ...(f.leaks ? { leaks: f.leaks } : {}),
      ...(f.noLeak ? { noLeak: f.noLeak } : {}),
      ...(f.fix ? { fix: f.fix } : {}),
      ...(f.diagnosisProbes !== undefined ? { diagnosisProbes: f.diagnosisProbes } : {}),
      seconds: f.seconds,
    }))
    printJson(shaped.length === 1 ? shaped[0] : shaped)
  } else {
    for (const f of findings) console.log(describeFinding(f))
  }
  const code = findings.some((f) => f.kind === 'victim' || f.kind === 'brittle') ? EXIT.found : EXIT.ok
  // Interrupted: what Vitest left running (a probe, its pool's timers) must not keep us.
  if (controller.signal.aborted) process.exit(code)
  return code
}

function hasTest(order: RecordedTest[], test: string): boolean {
  try {
    return selectTests(order, [test]).length > 0
  } catch {
    return false
  }
}

/** The one command that shows the failure again. */
function reproduce(runId: number, f: Finding, options: Options): string {
  return replayCommand(runId, {
    only: f.kind === 'victim' ? [...f.polluters, f.victim] : [f.victim],
    repeat: f.kind === 'nod' || f.kind === 'not-reproduced' ? NOD_REPEAT : undefined,
    ...commandOptions(options),
    config: options.config,
  })
}

function describeFinding(f: Finding & { command: string; seconds: number }): string {
  const lines = [`victim   ${visible(f.victim)}`]
  const found =
    f.probesToFind !== undefined && f.probesToFind < f.probes
      ? ` (${f.probesToFind} to find ${f.polluters.length + f.stateSetters.length === 1 ? 'it' : 'them'})`
      : ''
  const stats = `${f.probes} probes${found}, ${f.seconds.toFixed(1)} s`
  if (f.interrupted && f.kind !== 'victim' && f.kind !== 'brittle') {
    lines.push(`class    unknown: interrupted before the search began (${stats})`)
    return lines.join('\n')
  }
  switch (f.kind) {
    case 'victim':
      lines.push(
        `class    order-dependent: fails after ${f.polluters.length === 1 ? 'this test' : `these ${f.polluters.length} tests together`}, passes alone (${stats})`,
      )
      if (f.describe) lines.push(`polluter ${visible(f.describe)} (the describe block: its hooks or shared state; every test of it pollutes)`)
      for (const p of f.polluters) lines.push(`${f.describe ? '  via  ' : 'polluter'} ${visible(p)}`)
      break
    case 'brittle':
      lines.push(`class    brittle: fails alone, passes after ${f.stateSetters.length === 1 ? 'this test' : 'these tests'} (${stats})`)
      for (const s of f.stateSetters) lines.push(`setter   ${visible(s)}`)
      break
    case 'independent':
      lines.push(
        f.passingOrders
          ? `class    independent: fails alone and no earlier test makes it pass; not order-dependent (${stats})`
          : `class    independent: fails alone; no recorded run where it passed had earlier tests to try; not order-dependent as far as the history shows (${stats})`,
      )
      break
    case 'nod':
      lines.push(
        `class    non-deterministic: the same order both passed and failed${f.failures ? ` (${f.failures.failed}/${f.failures.runs} failed)` : ''}; no test is to blame (${stats})`,
      )
      break
    case 'not-reproduced':
      lines.push(`class    not reproduced: the recorded order passed ${f.failures?.runs ?? 0} times; likely non-deterministic (${stats})`)
      break
  }
  lines.push(...diagnosisLines(f))
  for (const c of f.cleaners) lines.push(`cleaner  ${visible(c)}`)
  if (f.fix) lines.push(`fix      ${fixText(f.fix)}`)
  if (f.interrupted) lines.push('(interrupted: the smallest set found so far)')
  lines.push(`reproduce: ${f.command}`)
  return `${lines.join('\n')}\n`
}

/** Leaks listed at most, the rest counted. */
const LEAKS_LISTED = 6

/** What the culprits left behind: the cause first, then what else they left. */
function diagnosisLines(f: Finding): string[] {
  const lines: string[] = []
  const brittle = f.kind === 'brittle'
  const leaks = [...(f.leaks ?? [])].sort((a, b) => Number(b.verified) - Number(a.verified))
  for (const leak of leaks.slice(0, LEAKS_LISTED)) {
    if (leak.verified)
      lines.push(
        `${brittle ? 'needs   ' : 'leaked  '} ${leakText(leak)}   ${brittle ? 'verified: it fails when that is undone' : 'verified: the victim passes when it is restored'}`,
      )
    else lines.push(`also     ${leakText(leak)}   (also left behind)`)
  }
  if (leaks.length > LEAKS_LISTED) lines.push(`also     … and ${leaks.length - LEAKS_LISTED} more (--json lists them)`)
  if (f.noLeak && !leaks.length) lines.push(`leaked   nothing visible: ${f.noLeak.replace(/^no leak visible: /, '')}`)
  return lines
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
