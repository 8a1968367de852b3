// A bisect session: from a recorded run to findings for its failing tests, as `flakeseed bisect`
// and the end-of-run bisect (`bisect` option, through ./child.ts) both run it. It owns the
// process-level parts: Ctrl-C (once: stop and report what is known; twice: quit), the Vitest
// instances it starts and how long their closing may take, the budget, saving the findings.
// It prints nothing: what happens reaches the caller as events, and the result is data.
import { availableParallelism } from 'node:os'
import { jobsFor } from '../core/defaults.js'
import { NOD_REPEAT, fixCommand, replayCommand, type CommandOptions } from '../core/commands.js'
import type { Finding } from '../core/model.js'
import { idOf } from '../core/names.js'
import type { Plan } from '../core/order.js'
import { PlanExecutor, type PlanResult } from '../run/execute.js'
import { asideLines, changedLines, leftSince, moveAside, type RecordedLeft } from '../run/leftovers.js'
import { ProbeFiles } from '../run/probe-files.js'
import { location } from '../run/selection.js'
import { asStoreError, isStoreError } from '../store/errors.js'
import { saveFinding } from '../store/findings.js'
import { type RunRow, Store } from '../store/index.js'
import { bisect, type BisectProgress } from './coordinator.js'
import { type BisectJob, chooseJobs, historySuspects, type JobChoice, orderWork, partsOf, passingRunsOf, type Suspects, typeChecksOf } from './jobs.js'
import { ProbePool } from './pool.js'
import { type ExplainedFinding, explainedVictims } from './victims.js'

export interface BisectSessionOptions extends JobChoice {
  /** A run id, or `last`. */
  ref: string
  /** The history database (resolved path). */
  db: string
  /** Milliseconds a write waits for another process's lock (`busyTimeout`). */
  dbTimeout: number
  repeat: number
  cleaners: boolean
  diagnose: boolean
  /** Vitest config file (default: the one the recorded run used). */
  config?: string
  jobs: number
  /** Seconds for all the bisecting together. */
  budget?: number
  /** What the printed reproduce commands share (`--db`, the launcher). */
  commands: CommandOptions
}

export interface BisectSessionEvents {
  /** A victim's bisect starts. */
  start?(victim: string): void
  progress?(event: BisectProgress): void
  /** A victim's bisect (or the check of others against its polluters) is over. */
  done?(): void
  /** The first Ctrl-C: the session stops and reports the smallest sets found so far. */
  interrupted?(): void
  /** How the probes ran, for a reader (without `flakeseed: `): the probe pool's note. */
  note?(line: string): void
  /** Something went wrong that the result does not show (without `flakeseed: `): the findings not saved. */
  warning?(line: string): void
}

/** `patchCommand`: the `flakeseed fix` command that writes the finding's fix as a patch and verifies it, when it can. */
export type SessionFinding = Finding & { run: number; command: string; seconds: number; patchCommand?: string }

export interface BisectSessionResult {
  findings: SessionFinding[]
  /** Failing tests left without a cause, and why (`new`, `budget`). */
  left: Array<{ test: string; why: string }>
  /** `new` found every failure explained by the history: nothing was bisected. */
  explainedAlready?: { typeChecks?: string }
  /** Set when a source file changed under the bisect: it stopped (one line, exit 2). */
  stopped?: string
  /** Ctrl-C or the budget cut it short: what Vitest left running must not keep the process. */
  interrupted: boolean
  /** 0 nothing order-dependent found, 1 a cause found, 2 stopped. */
  exit: 0 | 1 | 2
}

// In core/defaults.ts, where the CLI's option list reads it without loading the bisect.
export { MAX_JOBS } from '../core/defaults.js'

/** Probes side by side by default on this machine (`jobsFor`). */
export function defaultJobs(): number {
  return jobsFor(availableParallelism())
}

/** What the history says before any probe. */
interface Prepared {
  run: RunRow
  jobs: BisectJob[]
  suspectsOf: Map<string, Suspects>
  passingRuns: Map<string, ReturnType<typeof passingRunsOf>>
  typeChecks?: string
  /** The files the run's tests, and later recorded runs', created and left in the project: moved aside while probes run. */
  left?: RecordedLeft[]
}

export async function runBisectSession(options: BisectSessionOptions, events: BisectSessionEvents = {}): Promise<BisectSessionResult> {
  const prepared = readHistory(options)
  if (!prepared.jobs.length) return { findings: [], left: [], explainedAlready: { typeChecks: prepared.typeChecks }, interrupted: false, exit: 0 }
  const probing = startProbing(options, prepared, events)
  let result: Omit<BisectSessionResult, 'exit'>
  try {
    result = await bisectJobs(options, prepared, probing, events)
  } finally {
    await probing.close()
  }
  saveFindings(options, result.findings, events)
  const found = result.findings.some((f) => f.kind === 'victim' || f.kind === 'brittle')
  return { ...result, exit: result.stopped ? 2 : found ? 1 : 0 }
}

/** The run, the failures to bisect in their order, and each one's suspects and passing runs. */
function readHistory(options: BisectSessionOptions): Prepared {
  let store: Store | undefined
  try {
    store = Store.open(options.db, { readonly: true, timeout: options.dbTimeout })
    const run = store.resolveRun(options.ref)
    const parts = partsOf(store, run)
    const jobs = chooseJobs(store, run, parts, options)
    if (!jobs.length) return { run, jobs, suspectsOf: new Map(), passingRuns: new Map(), typeChecks: typeChecksOf(store, parts) }
    const suspectsOf = new Map<string, Suspects>()
    for (const { victim } of jobs) suspectsOf.set(idOf(victim), historySuspects(store, idOf(victim)))
    // Within a budget, what can be explained goes first (none of it is spent on known breakage).
    if (options.new || options.budget) orderWork(store, jobs, suspectsOf)
    const passingRuns = new Map(jobs.map((job) => [idOf(job.victim), passingRunsOf(store!, job)] as const))
    return {
      run,
      jobs,
      suspectsOf,
      passingRuns,
      left: leftSince(
        store,
        parts.map((part) => part.run),
      ),
    }
  } catch (error) {
    throw isStoreError(error) ? asStoreError(error, options.db, 'cannot read') : error
  } finally {
    store?.close()
  }
}

/** The Vitest instances probes run on, Ctrl-C and the budget: everything `close` undoes. */
interface Probing {
  executors: ProbePool
  executeIsolated?: (plan: Plan) => Promise<PlanResult>
  signal: AbortSignal
  /** What failing tests did alone in the checks against a finding's polluters, across the session. */
  alone: Map<string, boolean>
  /** Set when the budget ran out (it aborts `signal` as Ctrl-C does). */
  budgetUsed(): boolean
  close(): Promise<void>
}

function startProbing(options: BisectSessionOptions, { run, left }: Prepared, events: BisectSessionEvents): Probing {
  const { root, config } = location(run, options.config)
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
    // The signal also reached Vitest's workers; one that dies between tasks makes Vitest's pool
    // emit an 'error' nobody listens to. We are on our way out: that must not crash the report.
    process.on('uncaughtException', () => {})
    events.interrupted?.()
  }
  process.on('SIGINT', onSigint)
  // SIGTERM (a cancelled CI job, the in-job bisect's deadline): no report, but the exit hook puts
  // back what was moved aside (Node's default for SIGTERM would skip it).
  const onSigterm = () => process.exit(143)
  process.on('SIGTERM', onSigterm)
  const protect = [options.db]
  // What the run's tests left would decide every probe (the victim failing alone): out of the way until the end.
  const aside = moveAside(root, left ?? [])
  for (const line of [...asideLines(aside.moved, [], { runs: aside.runs, target: run.id }), ...changedLines(aside.changed)]) events.note?.(line)
  // The tree as the bisect found it: every probe tests these sources and puts back only its tests' writes.
  const files = new ProbeFiles(root, protect)
  const create = (isolate: boolean | undefined) =>
    PlanExecutor.create({ root, config, seed: run.seed, kind: 'probe', db: false, isolate, quiet: true, protect, files })
  const executors = new ProbePool(() => create(run.isolate ?? undefined), options.jobs, files)
  // The budget: all bisecting together stops when it runs out, as Ctrl-C does.
  let budgetUsed = false
  const budget = options.budget
    ? setTimeout(() => {
        budgetUsed = true
        controller.abort()
      }, options.budget * 1000)
    : undefined
  // For culprits in other files (isolate: false): the same probe with every file isolated.
  let isolated: Promise<PlanExecutor> | undefined
  const executeIsolated = run.isolate === false ? async (plan: Plan) => (await (isolated ??= create(true))).run(plan) : undefined
  const close = async () => {
    clearTimeout(budget)
    if (executors.note) events.note?.(executors.note)
    const all = async () => {
      await executors.close()
      if (isolated) await (await isolated).close()
    }
    // After Ctrl-C, Vitest may wait a minute for workers the signal killed: not for that.
    if (controller.signal.aborted) await Promise.race([all().catch(() => {}), new Promise((r) => setTimeout(r, 1000))])
    else await all()
    for (const line of asideLines([], aside.putBack())) events.note?.(line)
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
  }
  return { executors, executeIsolated, signal: controller.signal, alone: new Map(), budgetUsed: () => budgetUsed, close }
}

/** Each job bisected in turn, the later failures checked against each cause found. */
async function bisectJobs(options: BisectSessionOptions, prepared: Prepared, probing: Probing, events: BisectSessionEvents) {
  const { jobs } = prepared
  const { executors, signal } = probing
  const findings: SessionFinding[] = []
  const left: BisectSessionResult['left'] = []
  let stopped: string | undefined
  for (const job of jobs) {
    const { victim, run: part, order } = job
    if (signal.aborted || stopped) {
      left.push({ test: idOf(victim), why: probing.budgetUsed() && !stopped ? `budget of ${options.budget} s used up` : 'interrupted' })
      continue
    }
    const victimStarted = Date.now()
    // Its culprits may write where no earlier victim's did: its first probe learns where.
    executors.nextVictim()
    events.start?.(idOf(victim))
    const finding = await bisect({
      victim: idOf(victim),
      failing: order,
      isolate: part.isolate ?? true,
      passing: prepared.passingRuns.get(idOf(victim)) ?? [],
      repeat: options.repeat,
      cleaners: options.cleaners,
      diagnose: options.diagnose,
      error: (victim as typeof victim & { error?: string | null }).error ?? null,
      execute: (plan, diagnose) => executors.run(plan, diagnose),
      executeIsolated: probing.executeIsolated,
      jobs: executors.size,
      suspects: prepared.suspectsOf.get(idOf(victim)),
      signal,
      onProgress: events.progress,
    })
    events.done?.()
    stopped ??= finding.stopped
    const patch = fixCommandOf(part.id, finding, options)
    findings.push({
      ...finding,
      run: part.id,
      command: reproduce(part.id, finding, options),
      seconds: (Date.now() - victimStarted) / 1000,
      ...(patch ? { patchCommand: patch } : {}),
    })
    const why = unexplainedWhy(finding, probing.budgetUsed() ? options.budget : undefined)
    if (why) left.push({ test: finding.victim, why })
    // One cause, many victims: the run's later failures are checked against these polluters.
    if (finding.kind === 'victim' && !finding.interrupted) {
      for (const f of await checkOthers(jobs, job, finding, probing, events)) findings.push({ ...f, run: part.id, command: reproduce(part.id, f, options) })
    }
  }
  return { findings, left, stopped, interrupted: signal.aborted }
}

/**
 * The failing tests after `job` in its run's part checked against its finding's polluters; the
 * explained ones are taken out of `jobs` (only jobs after the one being run: the loop over `jobs`
 * then never reaches them) and returned as findings.
 */
async function checkOthers(jobs: BisectJob[], job: BisectJob, cause: Finding, probing: Probing, events: BisectSessionEvents): Promise<ExplainedFinding[]> {
  const at = jobs.indexOf(job)
  const { run, order } = job
  const others = jobs.slice(at + 1).filter((j) => j.run.id === run.id)
  if (!others.length) return []
  events.progress?.({ type: 'phase', phase: `checking ${others.length} other failing tests against these polluters` })
  // The other failing tests may write where no probe's tests did yet.
  probing.executors.nextVictim()
  const found = await explainedVictims({
    execute: (plan: Plan) => probing.executors.run(plan),
    jobs: probing.executors.size,
    alone: probing.alone,
    signal: probing.signal,
    cause,
    failing: order,
    isolate: run.isolate ?? true,
    others: others.map((j) => j.victim),
  })
  events.done?.()
  const explained = new Set(found.map((f) => f.victim))
  for (let k = jobs.length - 1; k > at; k--) if (explained.has(idOf(jobs[k]!.victim))) jobs.splice(k, 1)
  return found
}

/** Findings are history too: later commands (flaky, the HTML report) know the cause. */
function saveFindings({ db, dbTimeout }: BisectSessionOptions, findings: readonly SessionFinding[], events: BisectSessionEvents): void {
  try {
    const writable = Store.open(db, { timeout: dbTimeout })
    try {
      for (const f of findings) if (!f.interrupted) saveFinding(writable, f.run, f, f.command)
    } finally {
      writable.close()
    }
  } catch (error) {
    events.warning?.(`could not save the findings: ${(error as Error).message}`)
  }
}

/** Why a finding leaves its test without a cause; undefined when it found one. */
function unexplainedWhy(f: Finding, budget: number | undefined): string | undefined {
  if (f.interrupted) {
    const partial = f.polluters.length + f.stateSetters.length > 0
    return budget ? `budget of ${budget} s used up${partial ? ' (the smallest set found so far is above)' : ' before a culprit was found'}` : 'interrupted'
  }
  if (f.kind === 'independent') return 'independent: fails alone, no earlier test involved'
  if (f.kind === 'nod' || f.kind === 'not-reproduced') return 'non-deterministic: the same order passed and failed'
  return undefined
}

/** `npx flakeseed fix RUN --test VICTIM`, when the finding's fix is a remedy `fix` writes (`Fix.remedy`). */
function fixCommandOf(runId: number, f: Finding, options: BisectSessionOptions): string | undefined {
  if (!f.fix?.remedy || f.interrupted || (f.kind !== 'victim' && f.kind !== 'brittle')) return undefined
  return fixCommand(runId, { test: f.victim, ...options.commands, config: options.config })
}

/** The one command that shows the failure again. */
function reproduce(runId: number, f: Finding, options: BisectSessionOptions): string {
  return replayCommand(runId, {
    only: f.kind === 'victim' ? [...f.polluters, f.victim] : [f.victim],
    repeat: f.kind === 'nod' || f.kind === 'not-reproduced' ? NOD_REPEAT : undefined,
    ...options.commands,
    config: options.config,
  })
}
