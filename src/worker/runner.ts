// The Vitest test runner flakeseed installs in every worker of a project that carries the plugin.
// It orders the children of every suite by the seeded key (or by a plan), reseeds Math.random
// per test, leaves each test's execution position in `task.meta` for the reporter, and keeps a
// quarantined test's failure from failing the run (docs/ARCHITECTURE.md, Quarantine).
//
// Loaded in every worker, so it imports only Vitest itself, the pure ordering and naming rules
// and the breadcrumb writer; the write notes load before the first file, the diagnosis only in the probes that use it.
import { TestRunner, inject, vi } from 'vitest'
import { BreadcrumbWriter } from './breadcrumbs.js'
import type { TestMeta, WorkerContext } from './context.js'
import type { ModuleNode } from '../diagnose/state.js'
import type { DiagnosisProbe } from './diagnosis.js'
import { declaredNames, disambiguate, matchesPattern, NAME_SEPARATOR, testId } from '../core/names.js'
import { orderKey, randomFor } from '../core/order.js'

// Structural views of Vitest's task tree: the fields this runner reads, in both Vitest 4 and 5.
interface Task {
  type: 'test' | 'suite'
  name: string
  mode: string
  meta: Record<string, unknown>
  shuffle?: boolean
  concurrent?: boolean
  tasks?: Task[]
  file?: { filepath: string; name: string }
  result?: { state?: string; errors?: unknown[] }
}
interface FileTask extends Task {
  filepath: string
  projectName?: string
}

const META_KEY = 'flakeseed'
/**
 * The process, plus the thread in a threads pool, that runs this worker's tests. A `forks` worker
 * is a child process's main thread (`process.send` is its IPC channel, which worker threads lack;
 * Vitest tells its pools apart the same way): thread 0, without loading `node:worker_threads`,
 * which only the threads pools have loaded already.
 */
const WORKER = await workerName()
const BASE_AFTER_RETRY = (TestRunner.prototype as { onAfterRetryTask?: (...args: unknown[]) => unknown }).onAfterRetryTask
/** Math.random as the worker started: the runner loads before any setup or test file. */
const NATIVE_RANDOM = Math.random
const NEVER = /(?!)/
/**
 * Tests whose sibling test runs right after them: Vitest's runner goes from one's
 * `onAfterRunTask` to the other's `onBeforeRunTask` running nothing of the user's (runTest and
 * runSuite in @vitest/runner 4.1.12 and 5.1.2), so their end breadcrumb rides with the next start.
 */
const SIBLING_NEXT = new WeakSet<Task>()

/**
 * Replay and bisect probes: a Ctrl-C in the terminal reaches this worker too (the whole
 * foreground group is signalled). The flakeseed command that runs the probe decides what to do
 * (bisect reports the smallest set found so far); a worker dying under it instead would make
 * Vitest's pool throw in the middle of that report.
 */
function withProbeSignals(ctx: WorkerContext | undefined): WorkerContext | undefined {
  const key = Symbol.for('flakeseed.probe-sigint')
  const flags = globalThis as Record<symbol, unknown>
  if (!ctx?.plan || flags[key]) return ctx
  flags[key] = true
  process.on('SIGINT', () => {})
  return ctx
}

type AfterRunTask = (test: Parameters<TestRunner['onAfterRunTask']>[0]) => unknown

export default class FlakeseedRunner extends TestRunner {
  private readonly flakeseed: WorkerContext | undefined = withProbeSignals(readContext())
  private readonly ownPattern = (this.config as { testNamePattern?: RegExp }).testNamePattern
  private readonly breadcrumbs = this.flakeseed?.breadcrumbs ? new BreadcrumbWriter(this.flakeseed.breadcrumbs, WORKER) : undefined
  private randomDepth = 0
  private originalRandom = Math.random
  private diagnosis: DiagnosisProbe | undefined
  /** The write notes being installed (started here, awaited before any setup or test file loads). */
  private writesTracked: Promise<void> | undefined

  constructor(...args: ConstructorParameters<typeof TestRunner>) {
    super(...args)
    // A diagnosis probe may run with config changed as the config file would change it.
    const config = this.flakeseed?.diagnose?.config
    if (config) Object.assign(this.config, config)
    // Probes note every path their tests write; a recorded run, the paths they create.
    const notes = this.flakeseed?.writes ?? this.flakeseed?.created
    const createdOnly = !this.flakeseed?.writes
    if (notes) this.writesTracked = import('./writes.js').then(({ trackWrites }) => trackWrites(notes, WORKER, createdOnly))
    if (this.flakeseed?.quarantine?.length) this.releaseBeforeBail()
  }

  /**
   * Vitest replaces `onAfterRunTask` on the runner instance with a wrapper that counts a failed
   * test towards `--bail` before it calls ours (resolveTestRunner; docs/ARCHITECTURE.md). Taking
   * that assignment through an accessor puts the quarantine's switch in front of the wrapper, so
   * a quarantined failure never counts towards bail either.
   */
  private releaseBeforeBail(): void {
    const own = this.onAfterRunTask
    let outer: AfterRunTask | undefined
    Object.defineProperty(this, 'onAfterRunTask', {
      configurable: true,
      enumerable: true,
      get: (): AfterRunTask =>
        outer
          ? (test) => {
              releaseQuarantined(test as unknown as Task)
              return outer!.call(this, test)
            }
          : own,
      set: (fn: AfterRunTask) => {
        outer = fn
      },
    })
  }

  override async importFile(filepath: string, source: 'collect' | 'setup'): Promise<unknown> {
    if (this.writesTracked) await this.writesTracked
    const plan = this.flakeseed?.plan
    if (plan && source === 'collect') {
      // Filtering by name before collection is reported makes the main process (and every
      // reporter) see unlisted tests as skipped, exactly as `-t` would.
      const names = plan[filepath]
      ;(this.config as { testNamePattern?: RegExp }).testNamePattern = names ? exactNames(names) : NEVER
    }
    if (this.flakeseed?.diagnose && source === 'collect') (await this.diagnosisProbe()).onImport(filepath)
    return super.importFile(filepath, source)
  }

  onCollected(files: FileTask[]): void {
    const ctx = this.flakeseed
    if (ctx?.plan) (this.config as { testNamePattern?: RegExp }).testNamePattern = this.ownPattern
    if (!ctx) return
    for (const file of files) {
      const names = orderFile(file, ctx)
      if (this.diagnosis) {
        const tests = new Map([...names].filter(([t]) => t.type === 'test').map(([t, name]) => [name, t]))
        this.diagnosis.onCollected(file.filepath, (name) => tests.get(name))
      }
    }
  }

  override async onBeforeRunSuite(suite: Parameters<TestRunner['onBeforeRunSuite']>[0]): Promise<void> {
    if (this.diagnosis) {
      const filepath = (suite as unknown as { filepath?: string }).filepath
      if (filepath) this.diagnosis.onFileStart(filepath)
      this.diagnosis.onStart(suite)
    }
    return super.onBeforeRunSuite(suite)
  }

  override async onBeforeRunTask(test: Parameters<TestRunner['onBeforeRunTask']>[0]): Promise<void> {
    this.diagnosis?.onStart(test)
    await super.onBeforeRunTask(test)
    // Synchronous, so it survives the worker being SIGKILLed: the reporter then knows which test
    // was running, and which of the file's tests had finished. After Vitest's own hook, which
    // skips the test when the run was cancelled (bail). From here on, hooks around and before
    // each attempt (aroundEach, beforeEach) count as the test's, as they do in its result.
    const meta = (test as unknown as Task).meta[META_KEY] as TestMeta | undefined
    if (test.mode === 'run' || test.mode === 'queued') this.breadcrumbs?.started((test as unknown as Task).file?.filepath, meta?.name, meta?.index)
    else this.breadcrumbs?.flush()
  }

  /** One probe per worker process, loaded only when diagnosing (normal runs never load it). */
  private async diagnosisProbe(): Promise<DiagnosisProbe> {
    const key = Symbol.for('flakeseed.diagnosis')
    const holder = globalThis as Record<symbol, DiagnosisProbe | undefined>
    if (!holder[key]) {
      const { DiagnosisProbe } = await import('./diagnosis.js')
      const graph = () =>
        (
          this as unknown as { workerState?: { evaluatedModules?: { idToModuleMap?: Map<string, ModuleNode> } } }
        ).workerState?.evaluatedModules?.idToModuleMap?.values() ?? []
      const ctx = { ...this.flakeseed!.diagnose!, writes: this.flakeseed!.writes }
      holder[key] = new DiagnosisProbe(ctx, vi as unknown as ConstructorParameters<typeof DiagnosisProbe>[1], graph)
    }
    this.diagnosis = holder[key]
    return this.diagnosis
  }

  override onBeforeTryTask(test: Parameters<TestRunner['onBeforeTryTask']>[0], ...rest: unknown[]): ReturnType<TestRunner['onBeforeTryTask']> {
    const ctx = this.flakeseed
    const meta = (test as unknown as Task).meta[META_KEY] as TestMeta | undefined
    // A Math.random the user replaced (a mock in a setup file, at module level, in beforeAll) is
    // theirs: only the native one is reseeded.
    if (ctx?.reseedRandom && meta && (this.randomDepth > 0 || Math.random === NATIVE_RANDOM)) {
      if (this.randomDepth++ === 0) this.originalRandom = Math.random
      const file = (test as unknown as Task).file
      Math.random = randomFor(ctx.seed, testId(ctx.project, file?.name ?? '', meta.name))
    }
    return (super.onBeforeTryTask as (...args: unknown[]) => ReturnType<TestRunner['onBeforeTryTask']>)(test, ...rest)
  }

  // onAfterTryTask is skipped when the test throws; onAfterRetryTask always runs. Vitest 4's
  // TestRunner has no such method, Vitest 5's does (experimental.traceTimeline): call it when there.
  onAfterRetryTask(test: Task, ...rest: unknown[]): unknown {
    if (this.flakeseed?.reseedRandom && test.meta[META_KEY] && this.randomDepth > 0) {
      if (--this.randomDepth === 0) Math.random = this.originalRandom
    }
    return BASE_AFTER_RETRY?.call(this, test, ...rest)
  }

  // Called after the retries and the `fails` inversion, before the test's result is reported
  // and before its suite and file work out their own state from their tests.
  override onAfterRunTask(test: Parameters<TestRunner['onAfterRunTask']>[0]): void {
    releaseQuarantined(test as unknown as Task)
    super.onAfterRunTask(test)
    const meta = (test as unknown as Task).meta[META_KEY] as TestMeta | undefined
    const state = meta?.quarantine?.errors ? 'fail' : (test as unknown as Task).result?.state
    if (meta) this.breadcrumbs?.ended(meta.index, state, SIBLING_NEXT.has(test as unknown as Task))
  }
}

/**
 * A quarantined test that failed: its errors move to `task.meta` (the reporter records and
 * prints the failure from there) and Vitest sees it pass, so neither the file nor the run fails
 * on it. Runs at most once per test: afterwards its state is `pass`.
 */
function releaseQuarantined(test: Task): void {
  const quarantine = (test.meta[META_KEY] as TestMeta | undefined)?.quarantine
  const result = test.result
  if (!quarantine || result?.state !== 'fail') return
  quarantine.errors = [...(quarantine.errors ?? []), ...(result.errors ?? [])]
  result.state = 'pass'
  result.errors = undefined
}

async function workerName(): Promise<string> {
  if (typeof process.send === 'function') return String(process.pid)
  const { threadId } = await import('node:worker_threads')
  return threadId ? `${process.pid}.${threadId}` : String(process.pid)
}

function readContext(): WorkerContext | undefined {
  try {
    return (inject as (key: string) => WorkerContext | undefined)(META_KEY)
  } catch {
    return undefined
  }
}

/**
 * Sorts every suite's children by key (or by plan), keeps children inside their suite so hooks
 * still wrap exactly their own tests, and numbers the tests in the order they will run.
 */
function orderFile(file: FileTask, ctx: WorkerContext): Map<Task, string> {
  const prefix = `${ctx.project ? `${ctx.project}:` : ''}${file.name}${NAME_SEPARATOR}`
  const names = new Map<Task, string>()
  const chains: Task[] = []
  const walk = (suite: Task, chain: string): void => {
    for (const child of suite.tasks ?? []) {
      const name = chain ? `${chain}${NAME_SEPARATOR}${child.name}` : child.name
      names.set(child, name)
      chains.push(child)
      if (child.type === 'suite') walk(child, name)
    }
  }
  walk(file, '')
  // Repeated names get the next free ` (k)` in declaration order (tests and suites apart, as the
  // reporter names them), so each test has its own id.
  for (const type of ['test', 'suite']) {
    const same = chains.filter((t) => t.type === type)
    const unique = disambiguate(same.map((t) => names.get(t)!))
    for (const [i, t] of same.entries()) names.set(t, unique[i]!)
  }

  const plan = ctx.plan?.[file.filepath]
  if (plan) {
    const position = new Map(plan.map((name, i) => [name, i]))
    const rank = (task: Task): number => {
      if (task.type === 'test') return position.get(names.get(task)!) ?? Infinity
      return Math.min(Infinity, ...(task.tasks ?? []).map(rank))
    }
    sortSuites(file, (children) =>
      children
        .map((c) => ({ c, k: rank(c) }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.c),
    )
    // A repeated name matches the name pattern twice; run only the occurrence the plan lists.
    for (const t of chains) if (t.type === 'test' && (t.mode === 'run' || t.mode === 'queued') && !position.has(names.get(t)!)) t.mode = 'skip'
  } else {
    const key = new Map(chains.map((t) => [t, orderKey(ctx.seed, prefix + names.get(t)!)]))
    sortSuites(file, (children, suite) => (suite.shuffle === false ? children : [...children].sort((a, b) => key.get(a)! - key.get(b)!)))
  }

  const rules = ctx.quarantine ?? []
  let index = 0
  const number = (suite: Task): void => {
    const children = suite.tasks ?? []
    for (const [i, child] of children.entries()) {
      if (child.type === 'suite') number(child)
      else {
        const name = names.get(child)!
        const meta: TestMeta = { index: index++, name, worker: WORKER, seed: ctx.seed }
        const rule = rules.length ? rules.find((r) => matchesPattern(r, prefix + name)) : undefined
        if (rule) meta.quarantine = { reason: rule.reason }
        child.meta[META_KEY] = meta
        const next = children[i + 1]
        if (next?.type === 'test' && !child.concurrent && !next.concurrent) SIBLING_NEXT.add(child)
      }
    }
  }
  number(file)
  return names
}

/** Applies `arrange` to the children of every suite; marks suites so Vitest does not reshuffle. */
function sortSuites(suite: Task, arrange: (children: Task[], suite: Task) => Task[]): void {
  if (!suite.tasks) return
  suite.tasks = arrange(suite.tasks, suite)
  suite.shuffle = false
  for (const child of suite.tasks) if (child.type === 'suite') sortSuites(child, arrange)
}

/**
 * A pattern for these tests' full names, which Vitest 4 joins with spaces and Vitest 5 with
 * ` > `. A name ending in ` (k)` may be a real title or a repeated one that was suffixed, so both
 * are let through. The pattern may also admit a test whose title itself holds ` > `, or the
 * other tests of a repeated name; `orderFile` skips any test the plan does not list by its exact
 * name, so the pattern only has to let every listed test through.
 */
function exactNames(names: readonly string[]): RegExp {
  const alternatives = new Set<string>()
  for (const name of names) {
    for (const declared of declaredNames(name)) alternatives.add(declared.split(NAME_SEPARATOR).map(escapeRegExp).join('(?: > | )'))
  }
  return new RegExp(`^(?:${[...alternatives].join('|')})$`)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
