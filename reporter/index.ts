// The flakeseed reporter, in Vitest's reporter events: the seed line when a run starts, each test
// file's results when it ends, crashed workers' tests, the final status, the end line and the
// known-flake summary, and the GitHub job summary. Each job is in its own module here; this one
// only follows the events. What only a failed run or a CI job needs (the known-flake summary, the
// bisect in the job, the job summary) is imported when it is needed: Vitest loads this module in
// every run, and a passing run should cost what Vitest's own shuffle costs.
import type { Reporter, TestCase, TestModule, TestSpecification, Vitest } from 'vitest/node'
import { clearBreadcrumbs, readBreadcrumbs } from '../src/worker/breadcrumbs.js'
import { bisectCommand, type CommandOptions, dbWords, fixCommand, type Launcher, launcherFor, replayCommand, seedCommand } from '../src/core/commands.js'
import { gitInfo, type GitInfo } from '../src/plugin/environment.js'
import { endOfRunBisect } from '../src/plugin/options.js'
import { idOf, isTypecheckModule, isTypecheckProject, moduleTests } from '../src/core/names.js'
import type { Session } from '../src/plugin/session.js'
import { isTypecheckSpec } from '../src/plugin/spec.js'
import { detectPackageManager } from '../src/project/package-manager.js'
import { endLines, startLine, typecheckLine } from './console.js'
import { crashRows } from './crashes.js'
import type { AutoBisect } from './auto-bisect.js'
import type { markdownSummary } from './job-summary.js'
import { type QuarantinedOutcome, quarantinedOutcomes, quarantineLines } from './quarantine.js'
import { Recorder } from './recorder.js'
import { leftFiles } from '../src/run/leftovers.js'
import { busyTimeout } from '../src/store/index.js'
import { resultRows, WorkerNumbers } from './results.js'
import { runMeta, vitestArgs } from './run-meta.js'
import type { FailureNote } from '../src/history/failures.js'
import { consoleSummary } from './summary.js'
import { firstLine } from '../src/core/errors.js'

/** Below this much budget left after the bisect, no patch could be verified in time. */
const MIN_FIX_SECONDS = 10

export class FlakeseedReporter implements Reporter {
  private vitest!: Vitest
  private readonly recorder: Recorder | undefined
  private fileIndex = 0
  /** Type-checked files are numbered after the run's files (`runFiles`), apart from them: tsc's pace is not the run's order. */
  private typecheckIndex = 0
  private runFiles = 0
  private readonly fileIndexes = new Map<string, number>()
  private readonly resultOrder = new Map<string, number>()
  private readonly caseOrder = new WeakMap<TestCase, number>()
  private readonly written = new Set<string>()
  private workers = new WorkerNumbers()
  /** Failures that fail the run (quarantined ones are in `quarantined`), type checks included. */
  private failed = 0
  /** Of those, the type checks' (nothing to replay or bisect). */
  private typeFailed = 0
  private quarantined: QuarantinedOutcome[] = []
  private notes: FailureNote[] | undefined
  private watchNoted = false
  private gitAhead: Promise<GitInfo> | undefined
  private launcher: Launcher = 'npx'

  constructor(
    private readonly session: Session,
    private readonly dbPath: string | false,
  ) {
    this.recorder = dbPath === false ? undefined : new Recorder(dbPath, busyTimeout(session.env), (line) => this.vitest?.logger.warn(line))
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest
    this.launcher = launcherFor(detectPackageManager(vitest.config.root, this.session.env))
    // Asked now, git answers while Vitest finds the test files.
    if (this.recorder && !vitest.config.watch) this.gitAhead = gitInfo(vitest.config.root, this.session.env)
  }

  // One run row per test run: `vitest run` has one, a replay --repeat several. Watch mode records
  // nothing: its reruns are partial runs of a tree being edited, and would read as flakiness.
  async onTestRunStart(specifications: ReadonlyArray<TestSpecification>): Promise<void> {
    this.reset()
    const watching = Boolean(this.vitest.config.watch)
    if (watching && !this.watchNoted && !this.session.quiet && this.recorder) {
      this.watchNoted = true
      this.vitest.logger.log('flakeseed: watch mode: same seed on every rerun, nothing recorded (history is for `vitest run`)')
    }
    if (this.recorder && !watching) {
      const git = await (this.gitAhead ?? gitInfo(this.vitest.config.root, this.session.env))
      this.gitAhead = undefined
      this.recorder.begin(runMeta(this.vitest, this.session, git), () => clearBreadcrumbs(this.session.breadcrumbs))
    }
    const warnings = this.session.reachProjects(specifications)
    const specs = await this.shardOf(specifications)
    this.runFiles = specs.filter((s) => !isTypecheckSpec(s)).length
    if (this.session.quiet) return
    const shuffled = specs.filter((s) => this.session.projects.has(s.project.name) && !isTypecheckSpec(s))
    const runId = this.recorder?.runId
    this.vitest.logger.log(
      startLine({
        seed: this.session.seed,
        runId,
        projects: new Set(shuffled.map((s) => s.project.name)).size,
        files: shuffled.length,
        replaying: Boolean(this.session.plan),
        replay: runId !== undefined && this.session.kind === 'run' ? replayCommand(runId, this.commands()) : undefined,
      }),
    )
    const checked = specs.length - this.runFiles
    if (checked) this.vitest.logger.log(typecheckLine(checked))
    for (const warning of warnings) this.vitest.logger.warn(warning)
    for (const warning of this.session.quarantine?.warnings ?? []) this.vitest.logger.warn(warning)
    for (const note of this.session.quarantine?.notes ?? []) this.vitest.logger.log(note)
  }

  /**
   * The files this shard runs. Vitest 5 (which has `_shardSpecifications`) shards before this
   * event, Vitest 4 after it: then shard as the sequencer will. Vitest is loaded already in a
   * run; imported here so that the CLI can load this module without it.
   */
  private async shardOf(specifications: ReadonlyArray<TestSpecification>): Promise<ReadonlyArray<TestSpecification>> {
    const shardedAlready = typeof (this.vitest as unknown as { _shardSpecifications?: unknown })._shardSpecifications === 'function'
    if (!this.vitest.config.shard || shardedAlready) return specifications
    const { BaseSequencer } = await import('vitest/node')
    return new BaseSequencer(this.vitest).shard([...specifications])
  }

  private reset(): void {
    this.fileIndex = 0
    this.typecheckIndex = 0
    this.fileIndexes.clear()
    this.resultOrder.clear()
    this.written.clear()
    this.workers = new WorkerNumbers()
    this.failed = 0
    this.typeFailed = 0
    this.quarantined = []
    this.notes = undefined
    clearBreadcrumbs(this.session.breadcrumbs)
  }

  onTestModuleStart(module: TestModule): void {
    this.fileIndexes.set(moduleKey(module), isTypecheckModule(module) ? this.runFiles + this.typecheckIndex++ : this.fileIndex++)
  }

  onTestCaseResult(test: TestCase): void {
    // Execution order for projects whose workers do not run the flakeseed runner.
    const order = this.resultOrder.get(moduleKey(test.module)) ?? 0
    this.resultOrder.set(moduleKey(test.module), order + 1)
    this.caseOrder.set(test, order)
  }

  onTestModuleEnd(module: TestModule): void {
    this.collect(module)
    this.recorder?.flush()
  }

  /** What the run's tests left: what they created, and what they rewrote of what earlier runs of this root left. */
  private recordLeftFiles(recorder: Recorder, notes: string): void {
    const root = this.vitest.config.root
    recorder.leftFiles((store) => leftFiles(notes, root, () => new Set(store.leftFilesSince(root, 0).flatMap((run) => run.files.map((file) => file.path)))))
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: string): Promise<void> {
    // A module whose worker died never ends: record what it reported, and the test it was running.
    for (const module of modules) if (!this.written.has(moduleKey(module))) this.collect(module)
    // Vitest reports a dead worker as an unhandled error and fails the run: a passing run has no
    // crash rows to find, and reading every worker's log would cost it a file and a parse each.
    const mayHaveCrashed = unhandledErrors.length > 0 || reason !== 'passed' || this.failed > 0
    if (this.session.breadcrumbs && mayHaveCrashed)
      this.add(crashRows(readBreadcrumbs(this.session.breadcrumbs), modules, (m) => this.indexOf(m), this.workers))
    const status = reason === 'interrupted' ? 'interrupted' : this.failed || unhandledErrors.length || reason === 'failed' ? 'failed' : 'passed'
    const quarantinedTests = new Set(this.quarantined.map((q) => q.test))
    // The known-flake summary reads the history: loaded only when something failed.
    const failures = this.failed && this.session.kind === 'run' && this.recorder ? await import('../src/history/failures.js') : undefined
    if (this.recorder && this.session.created) this.recordLeftFiles(this.recorder, this.session.created)
    this.recorder?.end(status, (store, runId) => {
      if (failures) this.notes = this.failureNotes(() => failures.classifyFailures(store, runId, this.commands(), quarantinedTests))
    })
    clearBreadcrumbs(this.session.breadcrumbs)
    const runId = this.recorder?.runId
    const quarantinedFailed = this.quarantined.filter((q) => q.state === 'failed').length
    const commands = {
      replay: runId !== undefined ? replayCommand(runId, this.commands()) : seedCommand(this.session.seed, vitestArgs() ?? [], this.launcher),
      // A quarantined failure is worth bisecting too: quarantine is for tests being fixed.
      bisect: (this.runFailed || quarantinedFailed) && runId !== undefined && this.session.kind === 'run' ? bisectCommand(runId, this.commands()) : undefined,
    }
    const facts = { seed: this.session.seed, runId, failed: this.failed, quarantinedFailed, status, ...commands }
    if (!this.session.quiet) {
      for (const line of endLines(facts)) this.vitest.logger.log(line)
      for (const line of consoleSummary(this.notes ?? [], this.commands())) this.vitest.logger.log(line)
      for (const line of quarantineLines(this.quarantined)) this.vitest.logger.log(line)
    }
    const bisected = await this.bisectInJob(runId, status)
    await this.writeStepSummary(facts, bisected)
    if (
      this.session.kind === 'run' &&
      !this.vitest.config.watch &&
      status !== 'interrupted' &&
      (this.session.options.hunt || this.session.env.FLAKESEED_HUNT)
    ) {
      const { huntInJob } = await import('./auto-hunt-job.js')
      await huntInJob({
        options: this.session.options.hunt,
        root: this.vitest.config.root,
        db: this.dbPath,
        commands: this.commands(),
        env: this.session.env,
        logger: this.vitest.logger,
      })
    }
  }

  /** The `bisect` option: the failures the history does not explain, bisected in this job. */
  private async bisectInJob(runId: number | undefined, status: string): Promise<AutoBisect | undefined> {
    if (!this.runFailed || runId === undefined || this.dbPath === false || this.session.kind !== 'run' || this.vitest.config.watch || status === 'interrupted')
      return undefined
    const { budget, warning } = endOfRunBisect(this.session.options.bisect, this.session.env)
    if (warning) this.vitest.logger.warn(warning)
    if (budget === undefined) return undefined
    this.vitest.logger.log(`flakeseed bisecting the failures the history does not explain yet, within ${budget} s (exit code unchanged)`)
    const [{ autoBisect }, { describeReport }, { causeSummary }] = await Promise.all([
      import('./auto-bisect.js'),
      import('../src/bisect/report.js'),
      import('../src/analysis/causes.js'),
    ])
    const started = Date.now()
    const result = await autoBisect({ root: this.vitest.config.root, runId, db: this.dbPath, budget, commands: this.commands(), env: this.session.env })
    await this.fixInJob(result, runId, budget - (Date.now() - started) / 1000)
    if (result.error) this.vitest.logger.warn(`flakeseed: the bisect in this job failed: ${result.error}`)
    for (const line of result.notes ?? []) this.vitest.logger.log(`flakeseed: ${line}`)
    // A victim whose patch this job verified gets it below with the apply line: no command to verify it again.
    const patched = new Set((result.patches ?? []).map((p) => p.victim))
    for (const report of result.findings) this.vitest.logger.log(describeReport(patched.has(report.victim) ? { ...report, patchCommand: undefined } : report))
    for (const block of causeSummary(result.findings)) this.vitest.logger.log(block)
    if (!result.error && !result.findings.length && !result.left.length)
      this.vitest.logger.log('flakeseed: nothing to bisect: every failure is explained by the history already')
    if (result.left.length) {
      this.vitest.logger.log(`flakeseed: left unexplained: ${result.left.map((l) => `${l.test} (${l.why})`).join(', ')}`)
    }
    // Victims that share a patch (one polluter's) get one line, as `fix` prints it and the job summary lists it.
    type JobPatch = NonNullable<AutoBisect['patches']>[number]
    const shared = new Map<string, JobPatch[]>()
    for (const p of result.patches ?? []) shared.set(p.diff, [...(shared.get(p.diff) ?? []), p])
    for (const [p, ...others] of shared.values() as Iterable<[JobPatch, ...JobPatch[]]>) {
      const more = others.length ? ` (and ${others.map((o) => o.victim).join(', ')})` : ''
      this.vitest.logger.log(`flakeseed patch for ${p.victim}${more}: ${p.remedy} (verified: ${p.verified})`)
    }
    if (result.apply) this.vitest.logger.log(`apply: ${result.apply}`)
    return result
  }

  /** The bisect's explained failures get a verified patch, within what is left of the budget (nothing is written). */
  private async fixInJob(result: AutoBisect, runId: number, seconds: number): Promise<void> {
    const explained = result.findings.some((f) => (f.kind === 'victim' || f.kind === 'brittle') && !f.interrupted)
    if (!explained || this.dbPath === false || seconds < MIN_FIX_SECONDS) return
    const { autoFix } = await import('./auto-bisect.js')
    const fixed = await autoFix({ root: this.vitest.config.root, runId, db: this.dbPath, seconds, commands: this.commands(), env: this.session.env })
    if (!fixed.patches.length) return
    result.patches = fixed.patches
    result.apply = fixCommand(runId, { apply: true, ...this.commands() })
  }

  /** Known flakes and new failures of this run, from history; a store error is a warning, never a failure. */
  private failureNotes(classify: () => FailureNote[]): FailureNote[] | undefined {
    try {
      return classify()
    } catch (error) {
      this.vitest.logger.warn(`flakeseed: cannot tell known flakes from new failures: ${firstLine(error)}`)
      return undefined
    }
  }

  /** On GitHub Actions, the run's seed, failures and commands as a job summary. */
  private async writeStepSummary(facts: Parameters<typeof markdownSummary>[0], bisected?: AutoBisect): Promise<void> {
    const path = this.session.env.GITHUB_STEP_SUMMARY
    if (!path || this.session.kind !== 'run') return
    try {
      const { appendStepSummary, markdownSummary } = await import('./job-summary.js')
      appendStepSummary(path, markdownSummary(facts, this.notes, this.quarantined, bisected))
    } catch (error) {
      this.vitest.logger.warn(`flakeseed: cannot write the job summary to ${path}: ${firstLine(error)}`)
    }
  }

  /** What the commands printed share: `--db` unless the DB is the default one, and how they run flakeseed. */
  private commands(): CommandOptions {
    return { db: this.dbPath === false ? [] : dbWords(this.dbPath), launcher: this.launcher }
  }

  /** Failures a replay or bisect can look into: all but the type checks'. */
  private get runFailed(): number {
    return this.failed - this.typeFailed
  }

  private indexOf(module: TestModule): number {
    return this.fileIndexes.get(moduleKey(module)) ?? this.fileIndexes.size
  }

  private collect(module: TestModule): void {
    this.written.add(moduleKey(module))
    // Named once for both: naming walks the module's tree and disambiguates every name.
    const tests = moduleTests(module)
    const quarantined = quarantinedOutcomes(module, tests)
    this.quarantined.push(...quarantined)
    this.recorder?.quarantine(quarantined)
    const released = new Set(quarantined.filter((q) => q.state === 'failed').map((q) => q.test))
    this.add(
      resultRows(module, this.indexOf(module), this.workers, (test) => this.caseOrder.get(test), tests),
      released,
    )
  }

  /** `released`: the quarantined failures among the rows, which do not fail the run. */
  private add(rows: ReturnType<typeof resultRows>, released: ReadonlySet<string> = new Set()): void {
    for (const row of rows) {
      if (row.state !== 'failed' || released.has(idOf(row))) continue
      this.failed++
      if (isTypecheckProject(row.project)) this.typeFailed++
    }
    this.recorder?.add(rows)
  }
}

/** A module's key: the typecheck pool reports each file under the same module id as the run. */
function moduleKey(module: TestModule): string {
  return isTypecheckModule(module) ? `typecheck\u0000${module.moduleId}` : module.moduleId
}
