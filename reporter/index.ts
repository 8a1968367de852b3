// The flakeseed reporter: prints the seed line at the start and the run line at the end, and
// records the run in SQLite: the run row first, each test file's results when the file ends (one
// transaction, so a killed run keeps what finished), the final status last.
//
// Recording must never change the test run's outcome: every store failure becomes one warning
// and the run goes on unrecorded (results already written stay).
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { basename, relative } from 'node:path'
import type { Reporter, TestCase, TestModule, TestSpecification, Vitest } from 'vitest/node'
import { ciInfo, gitInfo, type GitInfo } from '../src/environment.js'
import { disambiguate, NAME_SEPARATOR, toPosix } from '../src/order.js'
import { DEFAULT_DB } from '../src/options.js'
import { shellCommand, shellQuote } from '../src/quote.js'
import type { TestMeta } from '../src/runner.js'
import type { Session } from '../src/session.js'
import { asStoreError, Store, type ResultRow, type TestState } from '../src/store/index.js'
import { appendStepSummary, classifyFailures, consoleSummary, markdownSummary, type FailureNote } from './summary.js'

const ERROR_LIMIT = 2000
const SIGNALS = ['SIGINT', 'SIGTERM'] as const
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

export class FlakeseedReporter implements Reporter {
  private vitest!: Vitest
  private store: Store | undefined
  private runId: number | undefined
  private failedStore = false
  private fileIndex = 0
  private readonly fileIndexes = new Map<string, number>()
  private readonly resultOrder = new Map<string, number>()
  private readonly written = new Set<string>()
  private readonly workers = new Map<string, number>()
  private readonly pending: ResultRow[] = []
  private failed = 0
  private watchNoted = false
  private gitAhead: Promise<GitInfo> | undefined

  constructor(
    private readonly session: Session,
    private readonly dbPath: string | false,
  ) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest
    // Asked now, git answers while Vitest finds the test files.
    if (this.dbPath !== false && !vitest.config.watch) this.gitAhead = gitInfo(vitest.config.root)
  }

  // One run row per test run: `vitest run` has one, a replay --repeat several. Watch mode records
  // nothing: its reruns are partial runs of a tree being edited, and would read as flakiness.
  async onTestRunStart(specifications: ReadonlyArray<TestSpecification>): Promise<void> {
    this.reset()
    const watching = Boolean(this.vitest.config.watch)
    if (watching && !this.watchNoted && !this.session.quiet && this.dbPath !== false) {
      this.watchNoted = true
      this.vitest.logger.log('flakeseed: watch mode: same seed on every rerun, nothing recorded (history is for `vitest run`)')
    }
    if (this.dbPath !== false && !this.failedStore && !watching) {
      const git = await (this.gitAhead ?? gitInfo(this.vitest.config.root))
      this.gitAhead = undefined
      this.guard(() => {
        this.store = Store.open(this.dbPath as string)
        this.runId = this.store.beginRun(this.runMeta(git))
      })
      if (this.runId !== undefined) this.addSignalHandlers()
    }
    const warnings = this.session.reachProjects(specifications)
    if (this.session.quiet) return
    // Vitest 4 shards after this event, Vitest 5 (which has `_shardSpecifications`) before it:
    // count the files this shard runs, as the sequencer sees them.
    // Imported here: Vitest is loaded already in a run, and the CLI (which imports nameOf) starts without it.
    const shardedAlready = typeof (this.vitest as unknown as { _shardSpecifications?: unknown })._shardSpecifications === 'function'
    const shardOf = async () => new (await import('vitest/node')).BaseSequencer(this.vitest!).shard([...specifications])
    const run = this.vitest.config.shard && !shardedAlready ? await shardOf() : specifications
    const shuffled = run.filter((s) => this.session.projects.has(s.project.name))
    const projects = new Set(shuffled.map((s) => s.project.name)).size
    const files = shuffled.length
    const parts = [`flakeseed seed ${this.session.seed}`]
    if (this.runId !== undefined) parts.push(`run ${this.runId}`)
    if (projects > 1) parts.push(`${projects} projects`)
    parts.push(`${files} file${files === 1 ? '' : 's'} ${this.session.plan ? 'in replay order' : 'shuffled'}`)
    // Here too, not only at the end: a CI job killed by its timeout never prints the end.
    if (this.runId !== undefined && this.session.kind === 'run') parts.push(`replay: npx flakeseed replay ${this.runId}${this.dbArgument()}`)
    this.vitest.logger.log(parts.join(' · '))
    for (const warning of warnings) this.vitest.logger.warn(warning)
  }

  private reset(): void {
    this.runId = undefined
    this.fileIndex = 0
    this.fileIndexes.clear()
    this.resultOrder.clear()
    this.written.clear()
    this.workers.clear()
    this.pending.length = 0
    this.failed = 0
    clearBreadcrumbs(this.session.breadcrumbs)
  }

  onTestModuleStart(module: TestModule): void {
    this.fileIndexes.set(module.moduleId, this.fileIndex++)
  }

  onTestCaseResult(test: TestCase): void {
    // Execution order for projects whose workers do not run the flakeseed runner.
    const order = this.resultOrder.get(test.module.moduleId) ?? 0
    this.resultOrder.set(test.module.moduleId, order + 1)
    ;(test as unknown as { __flakeseedOrder?: number }).__flakeseedOrder = order
  }

  onTestModuleEnd(module: TestModule): void {
    this.collect(module)
    this.flush()
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: string): void {
    this.removeSignalHandlers()
    // A module whose worker died never ends: record what it reported, and the test it was running.
    for (const module of modules) if (!this.written.has(module.moduleId)) this.collect(module)
    this.collectCrashes(modules)
    this.flush()
    const status = reason === 'interrupted' ? 'interrupted' : this.failed || unhandledErrors.length || reason === 'failed' ? 'failed' : 'passed'
    if (this.store && this.runId !== undefined) {
      this.guard(() => this.store!.finishRun(this.runId!, status))
    }
    const notes = this.failureNotes()
    this.store?.close()
    this.store = undefined
    clearBreadcrumbs(this.session.breadcrumbs)
    if (!this.session.quiet) this.printEnd(status)
    if (!this.session.quiet && notes) for (const line of consoleSummary(notes)) this.vitest.logger.log(line)
    this.writeStepSummary(status, notes)
  }

  /** Known flakes and new failures of this run, from history; a store error is a warning, never a failure. */
  private failureNotes(): FailureNote[] | undefined {
    if (!this.failed || !this.store || this.runId === undefined || this.session.kind !== 'run') return undefined
    try {
      return classifyFailures(this.store, this.runId, this.dbWords())
    } catch (error) {
      this.vitest.logger.warn(`flakeseed: cannot tell known flakes from new failures: ${(error as Error)?.message?.split('\n')[0]}`)
      return undefined
    }
  }

  /** On GitHub Actions, the run's seed, failures and commands as a job summary. */
  private writeStepSummary(status: string, notes: FailureNote[] | undefined): void {
    const path = process.env.GITHUB_STEP_SUMMARY
    if (!path || this.session.kind !== 'run') return
    const { replay, bisect } = this.endCommands()
    try {
      appendStepSummary(path, markdownSummary({ runId: this.runId, seed: this.session.seed, failed: this.failed, status, replay, bisect }, notes))
    } catch (error) {
      this.vitest.logger.warn(`flakeseed: cannot write the job summary to ${path}: ${(error as Error)?.message?.split('\n')[0]}`)
    }
  }

  private endCommands(): { replay: string; bisect: string | undefined } {
    const db = this.dbArgument()
    return {
      replay:
        this.runId !== undefined
          ? `npx flakeseed replay ${this.runId}${db}`
          : `FLAKESEED_SEED=${shellQuote(this.session.seed)} ${shellCommand(['npx', 'vitest', 'run', ...(vitestArgs() ?? [])])}`,
      bisect: this.failed && this.runId !== undefined && this.session.kind === 'run' ? `npx flakeseed bisect ${this.runId}${db}` : undefined,
    }
  }

  /**
   * Ctrl-C, or a CI job's cancellation (SIGINT, SIGTERM): Vitest exits from its own handler
   * without ending the run, so record the run as interrupted here, synchronously, before it goes.
   */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const alone = this.aloneOn.has(signal)
    this.removeSignalHandlers()
    this.flush()
    if (this.store && this.runId !== undefined) this.guard(() => this.store!.finishRun(this.runId!, 'interrupted'))
    this.store?.close()
    this.store = undefined
    clearBreadcrumbs(this.session.breadcrumbs)
    // Vitest's own handler exits the process. Were there none, this listener would have replaced
    // the default action of the signal: take it now. (Vitest's `once` listener is already gone
    // from the list by the time this one runs, so the count is taken when registering.)
    if (alone) process.kill(process.pid, signal)
  }

  private readonly aloneOn = new Set<NodeJS.Signals>()

  private addSignalHandlers(): void {
    this.removeSignalHandlers()
    for (const signal of SIGNALS) {
      if (process.listenerCount(signal) === 0) this.aloneOn.add(signal)
      process.once(signal, this.onSignal)
    }
  }

  private removeSignalHandlers(): void {
    for (const signal of SIGNALS) process.off(signal, this.onSignal)
    this.aloneOn.clear()
  }

  private printEnd(status: string): void {
    const parts = [this.runId !== undefined ? `flakeseed run ${this.runId}` : 'flakeseed', `seed ${this.session.seed}`]
    parts.push(this.failed ? `${this.failed} failed` : status === 'interrupted' ? 'interrupted' : 'passed')
    const { replay, bisect } = this.endCommands()
    parts.push(`replay: ${replay}`)
    this.vitest.logger.log(parts.join(' · '))
    if (bisect) this.vitest.logger.log(`flakeseed bisect: ${bisect}`)
  }

  private dbArgument(): string {
    const words = this.dbWords()
    return words.length ? ` ${shellCommand(words)}` : ''
  }

  /** `--db PATH` for the commands printed, unless the DB is the default one. */
  private dbWords(): string[] {
    if (this.dbPath === false) return []
    const rel = toPosix(relative(process.cwd(), this.dbPath))
    return rel === DEFAULT_DB ? [] : ['--db', rel]
  }

  private collect(module: TestModule): void {
    this.written.add(module.moduleId)
    const fileIndex = this.fileIndexes.get(module.moduleId) ?? this.fileIndexes.size
    const project = module.project.name
    const file = toPosix(module.relativeModuleId)
    const tests = [...module.children.allTests()]
    const names = disambiguate(tests.map(nameOf))
    tests.forEach((test, i) => {
      const result = test.result()
      const state = toState(result.state)
      if (!state) return // never ran: its worker died before reaching it
      const meta = test.meta() as { flakeseed?: TestMeta }
      const diagnostic = test.diagnostic()
      const errors = (result as { errors?: ReadonlyArray<{ message?: string; stack?: string }> }).errors
      if (state === 'failed') this.failed++
      this.pending.push({
        project,
        file,
        name: names[i]!,
        fileIndex,
        testIndex: meta.flakeseed?.index ?? (test as unknown as { __flakeseedOrder?: number }).__flakeseedOrder ?? i,
        worker: meta.flakeseed?.worker ? this.workerNumber(meta.flakeseed.worker) : null,
        state,
        durationMs: diagnostic ? Math.round(diagnostic.duration) : null,
        retries: diagnostic?.retryCount ?? 0,
        flaky: diagnostic?.flaky ?? false,
        error: state === 'failed' ? formatError(errors) : null,
      })
    })
  }

  /**
   * Workers log each test of their current file as it starts and ends, synchronously. A worker
   * that died leaves its file without results in the main process: the log gives the tests that
   * finished before the crash (with their outcome) and the one that was running.
   */
  private collectCrashes(modules: ReadonlyArray<TestModule>): void {
    const dir = this.session.breadcrumbs
    if (!dir) return
    let crumbs: string[] = []
    try {
      crumbs = readdirSync(dir)
    } catch {
      return
    }
    for (const crumb of crumbs) {
      const log = readBreadcrumbs(`${dir}/${crumb}`)
      if (!log) continue
      const module = modules.find((m) => m.moduleId === log.file)
      if (!module) continue
      const file = toPosix(module.relativeModuleId)
      const tests = [...module.children.allTests()]
      const names = disambiguate(tests.map(nameOf))
      const hasResult = (name: string) => {
        const i = names.indexOf(name)
        return i >= 0 && toState(tests[i]!.result().state) !== undefined
      }
      // A worker that finished normally logged tests that have their results already.
      if (!log.running || hasResult(log.running.name)) continue
      const row = (name: string, testIndex: number) => ({
        project: module.project.name,
        file,
        name,
        fileIndex: this.fileIndexes.get(module.moduleId) ?? this.fileIndexes.size,
        testIndex,
        worker: this.workerNumber(crumb),
        durationMs: null,
        retries: 0,
        flaky: false,
      })
      for (const done of log.finished) {
        if (hasResult(done.name)) continue
        const state = done.state === 'fail' ? 'failed' : done.state === 'skip' ? 'skipped' : 'passed'
        if (state === 'failed') this.failed++
        this.pending.push({
          ...row(done.name, done.index),
          state,
          error: state === 'failed' ? 'flakeseed: failed before its worker died (the error was lost with the worker)' : null,
        })
      }
      this.failed++
      this.pending.push({
        ...row(log.running.name, log.running.index),
        state: 'failed',
        error: 'flakeseed: the worker running this test file died during this test (crash, out of memory or killed)',
      })
    }
  }

  private flush(): void {
    if (!this.store || this.runId === undefined || !this.pending.length) return
    this.guard(() => {
      this.store!.writeResults(this.runId!, this.pending)
      this.pending.length = 0
    })
  }

  private workerNumber(worker: string): number {
    let n = this.workers.get(worker)
    if (n === undefined) this.workers.set(worker, (n = this.workers.size + 1))
    return n
  }

  private guard(action: () => void): void {
    try {
      action()
    } catch (error) {
      if (!this.failedStore) {
        this.failedStore = true
        // SQLite's own messages ("database is locked") do not say which file: name it.
        const sqlite = /^SQLITE_/.test(String((error as { code?: unknown } | null)?.code ?? ''))
        const described = sqlite && this.dbPath !== false ? asStoreError(error, this.dbPath, 'cannot write to') : error
        const message = (described as Error)?.message?.split('\n')[0] ?? String(described)
        this.vitest?.logger.warn(`flakeseed: not recording this run: ${message.replace(/^flakeseed: /, '')}`)
      }
      this.store?.close()
      this.store = undefined
    }
  }

  private runMeta(git: GitInfo): Parameters<Store['beginRun']>[0] {
    const config = this.vitest.config
    const ci = ciInfo()
    const shard = config.shard ? `${config.shard.index}/${config.shard.count}` : null
    const configFile = this.vitest.vite?.config?.configFile
    return {
      uuid: randomUUID(),
      kind: this.session.kind,
      startedAt: Date.now(),
      seed: this.session.seed,
      seedSource: this.session.seedSource,
      commitSha: git.commitSha,
      branch: git.branch,
      dirty: git.dirty,
      ciProvider: ci.provider,
      ciUrl: ci.url,
      shard,
      pool: config.pool ?? null,
      isolate: config.isolate ?? null,
      // Vitest resolves `fileParallelism: false` to a single worker.
      fileParallelism: config.maxWorkers !== 1,
      vitestVersion: this.vitest.version ?? null,
      nodeVersion: process.version,
      flakeseedVersion: VERSION,
      platform: `${process.platform}-${process.arch}`,
      argv: JSON.stringify(process.argv.slice(2)),
      root: config.root,
      config: configFile ? toPosix(relative(config.root, configFile)) : null,
    }
  }
}

/** The describe chain and title, as flakeseed names a test (without the file). */
export function nameOf(test: TestCase): string {
  const names = [test.name]
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) names.unshift(parent.name)
  return names.join(NAME_SEPARATOR)
}

/** Breadcrumbs are per run: workers are fresh each run, and a stale one would name a wrong test. */
function clearBreadcrumbs(dir: string | undefined): void {
  if (!dir) return
  for (const entry of safeReaddir(dir)) rmSync(`${dir}/${entry}`, { force: true })
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

interface BreadcrumbLog {
  file: string
  finished: Array<{ name: string; index: number; state?: string }>
  running?: { name: string; index: number }
}

/** A worker's log for its current file: `{file, name, index}` when a test starts, `{end, state}` when it ends. */
function readBreadcrumbs(path: string): BreadcrumbLog | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  let log: BreadcrumbLog | undefined
  for (const line of text.split('\n')) {
    let entry: { file?: string; name?: string; index?: number; end?: number; state?: string }
    try {
      entry = JSON.parse(line)
    } catch {
      continue // the empty last line, or a line cut by the crash
    }
    if (entry.file !== undefined && entry.name !== undefined && entry.index !== undefined) {
      log ??= { file: entry.file, finished: [] }
      log.running = { name: entry.name, index: entry.index }
    } else if (log?.running && entry.end === log.running.index) {
      log.finished.push({ ...log.running, state: entry.state })
      log.running = undefined
    }
  }
  return log
}

function toState(state: string): TestState | undefined {
  if (state === 'passed') return 'passed'
  if (state === 'failed') return 'failed'
  if (state === 'skipped') return 'skipped'
  return undefined
}

function formatError(errors: ReadonlyArray<{ message?: string; stack?: string }> | undefined): string | null {
  const error = errors?.[0]
  if (!error) return null
  const message = error.message ?? ''
  const stack = (error.stack ?? '')
    .split('\n')
    // The test's own frames locate the failure; Vitest's internals do not.
    .filter((line) => /^\s*at /.test(line) && !line.includes('/node_modules/'))
    .slice(0, 5)
    .join('\n')
  const text = stack ? `${message}\n${stack}` : message
  return text.length > ERROR_LIMIT ? `${text.slice(0, ERROR_LIMIT - 1)}…` : text
}

/**
 * The arguments after `vitest run` when this process is Vitest's own CLI, so a replay by seed
 * keeps the user's filters, project, shard and config; undefined when another tool started
 * Vitest (its arguments are not Vitest's).
 */
function vitestArgs(): string[] | undefined {
  if (!/^vitest(\.m?js)?$/.test(basename(process.argv[1] ?? ''))) return undefined
  const args = process.argv.slice(2)
  const rest = ['run', 'watch', 'dev'].includes(args[0] ?? '') ? args.slice(1) : args
  return rest.filter((a) => a !== '--watch' && a !== '-w')
}
