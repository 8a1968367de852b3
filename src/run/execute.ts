// Runs Vitest in this process on exact plans: the engine behind `replay` and `bisect`. One
// Vitest instance serves every run, so a bisect probe costs a fresh worker, not a fresh Vitest
// (measured in docs/ARCHITECTURE.md, Why in process).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestSpecification, Vitest } from 'vitest/node'
import type { DiagnoseContext } from '../worker/context.js'
import { ProbeFiles } from './probe-files.js'
import type { DiagnosisReport } from '../worker/diagnosis.js'
import { readWrites } from '../worker/writes.js'
import { FlakeseedError } from '../core/errors.js'
import type { TestState } from '../core/model.js'
import { fileId, isTypecheckModule, moduleTests, testId, toPosix, toState } from '../core/names.js'
import type { Plan } from '../core/order.js'
import { setControl, type RunKind, type Session } from '../plugin/session.js'
import { isTypecheckSpec, specFile, specId } from '../plugin/spec.js'

export interface ExecuteOptions {
  /** Project root (where the recorded run ran). */
  root: string
  /** Config file, relative to root or absolute; undefined lets Vitest look it up. */
  config?: string
  seed: string
  kind: RunKind
  /** Where a replay is recorded; probes record nothing. */
  db: string | false
  /** The recorded run's isolation: with `false`, state crosses files as it did in the run. */
  isolate?: boolean
  /** Show no Vitest output (bisect probes, replay --repeat, --json). */
  quiet: boolean
  /** stdout is for one JSON document: flakeseed prints nothing either. */
  json?: boolean
  /** Files under the root a probe must never touch or put back (the history DB). */
  protect?: string[]
  /** The project's files across the bisect, shared by its executors (one is made when none is given). */
  files?: ProbeFiles
  /** Patched sources served in place of the files' bytes (absolute `/`-separated path → text), for `fix`. */
  sources?: ReadonlyMap<string, string>
  /** Told of every module Vite transforms for the instance (`Control.onLoad`). */
  onLoad?(path: string): void
}

/** What a diagnosis probe asks the workers to observe (test ids, resolved here to files). */
export interface DiagnoseRequest {
  culprits: Array<{ project: string; file: string; name: string }>
  victim: { project: string; file: string; name: string }
  undo?: string[]
  config?: Record<string, unknown>
}

export interface PlanResult {
  /** State per test id of every test that ran or was skipped. */
  states: Map<string, TestState>
  /** Errors per failed test id. */
  errors: Map<string, string>
  /** Test ids of the plan that do not exist any more. */
  missing: string[]
  /** Errors outside tests (a file that failed to load, an unhandled rejection). */
  unhandled: number
  /** What the workers saw, for a diagnosis probe (undefined when the victim was never reached). */
  diagnosis?: DiagnosisReport
  /** Files a probe left that could not be put back (too big to keep). */
  unrestored?: string[]
  /** How many of the project's files the probe created, changed or deleted (put back since). */
  filesChanged?: number
  /** How many it wrote at all, rewrites with the same bytes included. */
  filesTouched?: number
  /** `cancel()` stopped the run: the states are partial (what had not run is skipped or missing). */
  cancelled?: boolean
}

/** How long a cancelled run's test in progress may take to finish before its worker is killed. */
const CANCEL_GRACE_MS = 1000

let creating: Promise<void> = Promise.resolve()

export class PlanExecutor {
  /**
   * A probe puts the project's files back when it ends. Off when probes run side by side in one
   * folder (`bisect --jobs`): one probe's cleanup would undo another's files while it runs.
   */
  restoreFiles = true

  /** What probes wrote in the project, and whether its sources still are the ones the bisect started on. */
  private readonly files: ProbeFiles | undefined

  /** Whether a run is in flight, and whether `cancel()` stopped it. */
  private inFlight = false
  private cancelled = false

  private constructor(
    private readonly vitest: Vitest,
    private readonly session: Session,
    private readonly specs: TestSpecification[],
    private readonly options: ExecuteOptions,
  ) {
    this.files = options.kind === 'probe' ? (options.files ?? new ProbeFiles(options.root, options.protect ?? [])) : undefined
  }

  /**
   * One at a time: the plan reaches the plugin through a global set while Vitest loads the config
   * (`setControl`), so two instances starting together would take each other's.
   */
  static create(options: ExecuteOptions): Promise<PlanExecutor> {
    const created = creating.then(() => PlanExecutor.start(options))
    creating = created.then(
      () => undefined,
      () => undefined,
    )
    return created
  }

  private static async start(options: ExecuteOptions): Promise<PlanExecutor> {
    // Loaded here, not at the top: the CLI's other commands start without Vitest.
    const { createVitest } = await import('vitest/node')
    const { startInstalled } = await import('../plugin/reach.js')
    let session: Session | undefined
    setControl({
      kind: options.kind,
      seed: options.seed,
      seedSource: 'config',
      db: options.db,
      quiet: options.quiet && (options.kind === 'probe' || options.json === true),
      plan: { files: [] },
      sources: options.sources,
      ...(options.onLoad ? { onLoad: options.onLoad } : {}),
      onSession: (s) => (session = s),
    })
    const config = options.config ? resolve(options.root, options.config) : undefined
    if (config && !existsSync(config)) throw new FlakeseedError(`flakeseed: config file ${config} does not exist (pass --config)`)
    let vitest: Vitest
    // Vitest's CLI logger exits the process on SIGINT/SIGTERM. Here the caller decides: bisect
    // finishes the probe and prints what it found so far. Its handlers are taken off again.
    const signals = ['SIGINT', 'SIGTERM'] as const
    const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]))
    try {
      vitest = await createVitest(
        'test',
        {
          root: options.root,
          config,
          watch: false,
          // Plans run files one after another in one worker, as a bisect needs.
          fileParallelism: false,
          ...(options.isolate === undefined ? {} : { isolate: options.isolate }),
          passWithNoTests: true,
          // A plan orders tests at run time: tsc's checks have no order (and a type failure would read as the victim's).
          typecheck: { enabled: false },
          reporters: options.quiet ? [{}] : ['default'],
        },
        {},
        {},
      )
      // A root config whose projects all load their own configs starts flakeseed only here.
      startInstalled(vitest)
    } finally {
      setControl(undefined)
      for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l)
    }
    if (!session) {
      await vitest.close()
      throw new FlakeseedError(
        `flakeseed: the Vitest config in ${options.root} does not load the flakeseed plugin (add flakeseed() to its plugins, or pass --config)`,
      )
    }
    await vitest.standalone()
    const specs = (await vitest.globTestSpecifications()).filter((s) => !isTypecheckSpec(s))
    return new PlanExecutor(vitest, session, specs, options)
  }

  /**
   * Runs exactly the plan; without one, every test in the order the seed gives. A bisect probe
   * first checks that no source file changed since the bisect began (`ProjectChanged`), and puts
   * back what its tests wrote: a file one probe's polluter wrote must not decide the next probe.
   */
  async run(plan?: Plan, diagnose?: DiagnoseRequest, only?: ReadonlySet<string>): Promise<PlanResult> {
    const wanted = plan ? new Set(plan.files.map((f) => fileId(f.project, f.file))) : only
    const specs = wanted ? this.specs.filter((s) => wanted.has(specId(s))) : this.specs
    const missingIn = (states: ReadonlyMap<string, TestState>) =>
      (plan?.files ?? []).flatMap((f) => f.tests.map((name) => testId(f.project, f.file, name)).filter((id) => !states.has(id)))
    // None of the plan's files exists any more: Vitest would run nothing, and record an empty run.
    if (plan?.files.length && !specs.length) return { states: new Map(), errors: new Map(), missing: missingIn(new Map()), unhandled: 0 }
    // Side by side (`--jobs`), nothing is put back per probe; the sources are checked all the same.
    if (!this.restoreFiles) this.files?.checkSources()
    const tree = this.restoreFiles ? this.files?.beforeProbe() : undefined
    const report = diagnose ? mkdtempSync(join(tmpdir(), 'flakeseed-diagnose-')) : undefined
    // Probes note what their workers write: only that is put back (src/worker/writes.ts).
    const writes = this.files ? mkdtempSync(join(tmpdir(), 'flakeseed-writes-')) : undefined
    this.session.setPlan(plan, diagnose && report ? this.diagnoseContext(diagnose, join(report, 'report.json'), specs) : undefined, writes)
    let result: Awaited<ReturnType<Vitest['runTestSpecifications']>>
    let diagnosis: DiagnosisReport | undefined
    let unrestored: string[] = []
    let filesChanged = 0
    let filesTouched = 0
    this.inFlight = true
    this.cancelled = false
    // A process ended mid-probe (SIGTERM: a cancelled CI job, the in-job deadline) still puts back
    // what this probe's tests wrote, and first: files moved aside (src/run/leftovers.ts) come back
    // on an exit hook added before this one.
    const onExit = () => {
      try {
        if (tree) this.files!.putBack(tree, writes ? readWrites(writes) : new Set())
        if (writes) rmSync(writes, { recursive: true, force: true })
      } catch {
        // On the way out: nothing more can be done here.
      }
    }
    process.prependListener('exit', onExit)
    try {
      result = await this.vitest.runTestSpecifications(specs, false).catch((error: unknown) => {
        if (this.cancelled) return { testModules: [], unhandledErrors: [] }
        throw error
      })
    } finally {
      process.off('exit', onExit)
      this.inFlight = false
      if (report) {
        diagnosis = readReport(join(report, 'report.json'))
        rmSync(report, { recursive: true, force: true })
      }
      const wrote = writes ? readWrites(writes) : new Set<string>()
      if (writes) rmSync(writes, { recursive: true, force: true })
      if (tree) ({ changed: filesChanged, touched: filesTouched, failed: unrestored } = this.files!.afterProbe(tree, wrote))
      else if (this.files) this.files.noteWrites(wrote)
    }
    const ran = new Set(specs.map((s) => s.moduleId))
    const states = new Map<string, TestState>()
    const errors = new Map<string, string>()
    let unhandled = result.unhandledErrors.length
    for (const module of result.testModules) {
      if (!ran.has(module.moduleId) || isTypecheckModule(module)) continue
      const moduleErrors = module.errors()
      if (moduleErrors.length && ![...module.children.allTests()].length) unhandled += moduleErrors.length
      const file = toPosix(module.relativeModuleId)
      for (const { name, test } of moduleTests(module)) {
        const r = test.result()
        const state = toState(r.state)
        if (!state) continue
        const id = testId(module.project.name, file, name)
        states.set(id, state)
        if (state === 'failed') errors.set(id, (r.errors?.[0]?.message ?? '').split('\n')[0] ?? '')
      }
    }
    const cancelled = this.cancelled
    return { states, errors, missing: missingIn(states), unhandled, diagnosis, unrestored, filesChanged, filesTouched, ...(cancelled ? { cancelled } : {}) }
  }

  /**
   * Stops the run in flight (Vitest's `cancelCurrentRun`: no test starts after it), and when its
   * test in progress does not end within a grace, asks again, which kills the worker
   * (docs/ARCHITECTURE.md, internals). That run's result says `cancelled`; the instance runs on.
   */
  async cancel(): Promise<void> {
    if (!this.inFlight) return
    this.cancelled = true
    const graceful = this.vitest.cancelCurrentRun('flakeseed-deadline' as Parameters<Vitest['cancelCurrentRun']>[0])
    let timer: NodeJS.Timeout | undefined
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(
        () => resolve(this.inFlight ? this.vitest.cancelCurrentRun('flakeseed-deadline' as Parameters<Vitest['cancelCurrentRun']>[0]) : undefined),
        CANCEL_GRACE_MS,
      )
      timer.unref()
    })
    try {
      await Promise.race([graceful, forced])
      await graceful
    } finally {
      clearTimeout(timer)
    }
  }

  /** Every test of these files, in the order `seed` gives them (`fix` checks a patch under several seeds). */
  async runFiles(files: ReadonlyArray<{ project: string; file: string }>, seed: string): Promise<PlanResult> {
    const previous = this.session.seed
    this.session.seed = seed
    try {
      return await this.run(undefined, undefined, new Set(files.map((f) => fileId(f.project, f.file))))
    } finally {
      this.session.seed = previous
    }
  }

  /** The workers' instructions: absolute paths of the culprits' and the victim's files. */
  private diagnoseContext(request: DiagnoseRequest, report: string, specs: readonly TestSpecification[]): DiagnoseContext {
    const path = new Map(specs.map((s) => [specId(s), s.moduleId]))
    const test = (t: { project: string; file: string; name: string }) => ({
      id: testId(t.project, t.file, t.name),
      file: path.get(fileId(t.project, t.file)) ?? resolve(this.options.root, t.file),
      name: t.name,
    })
    return {
      report,
      root: this.options.root,
      skip: this.options.protect ?? [],
      testFiles: specs.map((s) => s.moduleId),
      culprits: request.culprits.map(test),
      victim: test(request.victim),
      undo: request.undo,
      config: request.config,
    }
  }

  /**
   * The test files (`[project:]file`) whose module graph reaches any of `paths` (absolute), or that
   * are one of them: Vitest's own related-files search, as `vitest related` and `--changed` run it
   * (`config.related`, then `getRelevantTestSpecifications`; docs/ARCHITECTURE.md, internals).
   */
  async related(paths: readonly string[]): Promise<string[]> {
    if (!paths.length) return []
    const config = this.vitest.config as { related?: string[] }
    const before = config.related
    config.related = [...paths]
    try {
      const specs = await this.vitest.getRelevantTestSpecifications()
      return [...new Set(specs.filter((s) => !isTypecheckSpec(s)).map(specId))]
    } finally {
      config.related = before
    }
  }

  /** Every test file of the run (`[project:]file`) with its absolute path. */
  testFiles(): Array<{ id: string; project: string; file: string; path: string }> {
    return this.specs.map((s) => ({ id: specId(s), project: s.project.name, file: specFile(s), path: s.moduleId }))
  }

  /** Whether every project runs each file in its own module state (`isolate`, Vitest's default true). */
  get isolated(): boolean {
    if (this.options.isolate !== undefined) return this.options.isolate
    return this.vitest.projects.every((p) => (p.config as { isolate?: boolean }).isolate !== false)
  }

  /** Vitest's version and pool, as a recorded run names them. */
  get runtime(): { vitestVersion: string | null; pool: string | null } {
    return { vitestVersion: this.vitest.version ?? null, pool: this.vitest.config.pool ?? null }
  }

  async close(): Promise<void> {
    await this.vitest.close()
  }
}

function readReport(path: string): DiagnosisReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DiagnosisReport
  } catch {
    return undefined
  }
}
