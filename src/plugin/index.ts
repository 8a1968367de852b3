// flakeseed(): the one line in vitest.config.ts. Wires the sequencer (file order), the runner
// (test order inside files, Math.random) and the reporter (history) into every project it reaches.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vitest/config'
import {
  BaseSequencer,
  type Reporter,
  type TestProject,
  type TestSequencerConstructor,
  type TestSpecification,
  type Vitest,
  version as vitestVersion,
} from 'vitest/node'
import { FlakeseedReporter } from '../../reporter/index.js'
import type { WorkerContext } from '../worker/context.js'
import { fileId, toPosix } from '../core/names.js'
import { chooseSeed, resolveOptions, type FlakeseedOptions } from './options.js'
import { readEnvironment } from './environment.js'
import { busyTimeout } from '../store/index.js'
import { runQuarantine } from '../quarantine/apply.js'
import type { AddAuto } from '../quarantine/auto.js'
import { carryIntoInlineProjects, installSequencer, PLUGIN_NAME, projectsOf, replacedSequencer, rootCarries, unreachedWarning } from './reach.js'
import { createSequencer } from './sequencer.js'
import { getControl, type Session } from './session.js'

export type { AutoClass, FlakeseedOptions, QuarantineOption, SeedOption } from './options.js'
export { FlakeseedError } from '../core/errors.js'
export type { Plan, PlanFile } from '../core/order.js'

const RUNNER = fileURLToPath(new URL('../worker/runner.js', import.meta.url))
/** Wraps `fs` in a probe's workers before any vm context copies it (src/worker/writes-preload.ts). */
const WRITES_PRELOAD = new URL('../worker/writes-preload.js', import.meta.url).href
/** flakeseed's own folder (dist/ and its package.json). */
const PACKAGE_ROOT = toPosix(fileURLToPath(new URL('../../../', import.meta.url))).replace(/\/$/, '')
// One session per resolved Vitest config: a watch-mode restart (the config changed) resolves a
// new one, with new projects and reporters, which need wiring again. Shared through globalThis:
// project configs in a monorepo may load another copy of flakeseed, and one Vitest instance
// must still get one session (one seed line, one recorded run).
const SESSIONS = Symbol.for('flakeseed.sessions')
const sessions = ((globalThis as Record<symbol, unknown>)[SESSIONS] ??= new WeakMap()) as WeakMap<object, Session>
const wired = new WeakMap<Session, TestProject[]>()

export default function flakeseed(options?: FlakeseedOptions): Plugin {
  const resolved = resolveOptions(options)
  /** Patched sources `fix` verifies, captured while its Vitest instance loads the config. */
  let sources: ReadonlyMap<string, string> | undefined
  /** Told of every module the instance transforms (`fix` hashes what its checks ran). */
  let onLoad: ((path: string) => void) | undefined
  /** The quarantine's `auto` policy, loaded while the config resolves when the options name classes. */
  let addAuto: AddAuto | undefined
  const plugin: Plugin = {
    name: PLUGIN_NAME,
    async config(config) {
      sources ??= getControl()?.sources
      onLoad ??= getControl()?.onLoad
      if (sources) noModuleCache(config)
      carryIntoInlineProjects(config, plugin)
      // Replay and bisect (a control is set) run plans; a project's own typecheck pool has no place in one.
      if (getControl() && config.test?.typecheck?.enabled) config.test.typecheck.enabled = false
      installSequencer(config, (vitest) => startLate(vitest, resolved, addAuto))
      // Only then does a run read the history before it starts (src/quarantine/auto.ts).
      if (resolved.quarantine.auto.length) addAuto ??= (await import('../quarantine/auto.js')).addAuto
    },
    configureVitest({ vitest, project }) {
      let session = sessions.get(vitest.config)
      if (!session) {
        session = startSession(vitest, resolved, addAuto)
        sessions.set(vitest.config, session)
      }
      wireProject(session, vitest, project)
      // Vitest has resolved every project by now; the root's plugin line stands for all of them.
      if (rootCarries(vitest)) for (const other of vitest.projects) wireProject(session, vitest, other)
    },
    // Vite asks plugins for a module's code before it reads the file: a patch is served, never written.
    load(id) {
      if (!sources) return null
      const patched = sources.get(toPosix(id.split('?')[0]!))
      return patched === undefined ? null : { code: patched }
    },
    // Every plugin's transform runs for every module Vite serves (load stops at the first answer).
    transform(_code, id) {
      if (onLoad && !id.startsWith('\0')) onLoad(toPosix(id.split('?')[0]!))
      return null
    },
  }
  return plugin
}

/**
 * `fix` serves patched sources: Vitest's module cache on disk (`fsModuleCache`, off by default)
 * keys a module by the file's bytes on disk, so it would serve the check an unpatched transform
 * and keep a patched one for the user's next run. Off in the instances that serve patches
 * (Vitest 5: the top-level option; 4: `experimental`, which 5 calls deprecated).
 */
function noModuleCache(config: { test?: object }): void {
  const test = (config.test ??= {}) as Record<string, unknown>
  if (Number.parseInt(vitestVersion, 10) >= 5) test.fsModuleCache = false
  else test.experimental = { ...(test.experimental as object | undefined), fsModuleCache: false }
}

/**
 * Probes note what their tests write, recorded runs what they create. In the vm pools the
 * wrappers go in through the workers' `execArgv` (read when the pool starts a worker), so they are
 * in place before a context evaluates `node:fs` (docs/ARCHITECTURE.md, Vitest internals); in the
 * other pools the runner installs them before any test file loads, which costs no preload.
 */
function preloadWrites(config: { pool?: unknown; execArgv?: string[] }): void {
  if (!String(config.pool).startsWith('vm')) return
  const argv = config.execArgv ?? []
  if (!argv.includes(WRITES_PRELOAD)) config.execArgv = [...argv, '--import', WRITES_PRELOAD]
}

/**
 * No project carried the plugin (e.g. `projects: ['packages/*']` whose configs lack it), so no
 * `configureVitest` ran: Vitest is constructing the sequencer the root config's plugin
 * installed, after reporters were created and the first run announced. Start the session here.
 */
function startLate(vitest: Vitest, options: ReturnType<typeof resolveOptions>, addAuto: AddAuto | undefined): TestSequencerConstructor {
  const existing = sessions.get(vitest.config)
  if (existing) return createSequencer(existing)
  const session = startSession(vitest, options, addAuto)
  sessions.set(vitest.config, session)
  for (const project of vitest.projects) wireProject(session, vitest, project)
  const reporter = vitest.config.reporters.at(-1) as unknown as FlakeseedReporter
  const reporters = (vitest as unknown as { reporters?: Reporter[] }).reporters
  if (!Array.isArray(reporters)) {
    vitest.logger.warn('flakeseed: cannot add its reporter to this Vitest version: this run is not recorded')
    return createSequencer(session)
  }
  reporters.push(reporter)
  reporter.onInit(vitest)
  const sequencer = new (createSequencer(session))(vitest)
  // The first run started before this reporter existed: announce it now, with every file of
  // the run (Vitest calls shard(), when sharding, before sort()).
  let announced = false
  const announce = async (specs: TestSpecification[]) => {
    if (announced) return
    announced = true
    await reporter.onTestRunStart(specs)
  }
  return class FlakeseedLateSequencer extends BaseSequencer {
    override async shard(specs: TestSpecification[]): Promise<TestSpecification[]> {
      await announce(specs)
      return sequencer.shard(specs)
    }
    override async sort(specs: TestSpecification[]): Promise<TestSpecification[]> {
      await announce(specs)
      return sequencer.sort(specs)
    }
  }
}

function startSession(vitest: Vitest, options: ReturnType<typeof resolveOptions>, addAuto: AddAuto | undefined): Session {
  const control = getControl()
  const env = readEnvironment()
  const chosen = control?.seed ? { seed: control.seed, source: control.seedSource ?? ('config' as const) } : chooseSeed(options.seed, vitest.config.root, env)
  if ('warning' in chosen && chosen.warning) vitest.logger.warn(chosen.warning)
  const session: Session = {
    seed: chosen.seed,
    seedSource: chosen.source,
    options: { ...options, db: control?.db !== undefined ? control.db : options.db },
    kind: control?.kind ?? 'run',
    quiet: control?.quiet ?? false,
    env,
    plan: control?.plan,
    projects: new Set(),
    setPlan(plan, diagnose, writes) {
      session.plan = plan
      session.diagnose = diagnose
      session.writes = writes
      for (const project of wired.get(session) ?? []) provideContext(session, project)
    },
    reachProjects(specs) {
      const warnings: string[] = []
      const reachAll = rootCarries(vitest)
      for (const project of projectsOf(specs)) {
        if (session.projects.has(project.name)) continue
        // A project injected after configureVitest (by another plugin) is still in time.
        if (reachAll && wireProject(session, vitest, project)) continue
        if (!warned.has(project.name)) {
          warned.add(project.name)
          warnings.push(unreachedWarning(vitest, project))
        }
      }
      return warnings
    },
  }
  const warned = new Set<string>()
  const sequence = vitest.config.sequence as { sequencer: unknown; shuffle?: boolean }
  const own = replacedSequencer(sequence.sequencer)
  if (own) vitest.logger.warn(`flakeseed: replacing sequence.sequencer (${own}) with flakeseed's seeded sequencer`)
  vitest.config.sequence.sequencer = createSequencer(session)
  // Vitest's own test shuffle would reorder after us; and its resolved `false` would be
  // indistinguishable from a describe's explicit `shuffle: false` opt-out.
  sequence.shuffle = undefined
  const db = session.options.db
  if (db !== false) {
    const dir = (session.breadcrumbs = mkdtempSync(join(tmpdir(), 'flakeseed-')))
    const created = (session.created = mkdtempSync(join(tmpdir(), 'flakeseed-created-')))
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true })
      rmSync(created, { recursive: true, force: true })
    })
  }
  const dbPath = db === false ? false : resolve(vitest.config.root, env.FLAKESEED_DB || db)
  if (session.kind === 'run')
    session.quarantine = runQuarantine(options.quarantine, vitest.config.root, dbPath === false ? false : { path: dbPath, timeout: busyTimeout(env) }, addAuto)
  vitest.config.reporters.push(new FlakeseedReporter(session, dbPath))
  control?.onSession?.(session)
  return session
}

/** Puts flakeseed's runner in this project's workers; false for a project it cannot order. */
function wireProject(session: Session, vitest: Vitest, project: TestProject): boolean {
  let projects = wired.get(session)
  if (!projects) wired.set(session, (projects = []))
  // A project reached twice (its own config and the root's, maybe another copy of flakeseed) is
  // wired once. Project names are unique within a run.
  if (session.projects.has(project.name)) return true
  // The runner is a Node module: in a browser it would fail every test file of the project.
  if (project.config.browser?.enabled) return false
  if (project.config.runner && project.config.runner !== RUNNER) {
    vitest.logger.warn(`flakeseed: project "${project.name || 'default'}" has its own runner (${project.config.runner}); flakeseed replaces it to order tests`)
  }
  project.config.runner = RUNNER
  preloadWrites(project.config)
  allowServing(project)
  session.projects.add(project.name)
  projects.push(project)
  provideContext(session, project)
  return true
}

/**
 * Environments other than Node's (jsdom, happy-dom) load the runner through Vite, which serves
 * only files under its `server.fs.allow` folders. flakeseed installed in the project is under
 * them; linked from elsewhere (npm link, a monorepo's package, a pnpm store) it would not be.
 */
function allowServing(project: TestProject): void {
  const allow = (project.vite?.config?.server?.fs as { allow?: string[] } | undefined)?.allow
  if (Array.isArray(allow) && !allow.includes(PACKAGE_ROOT)) allow.push(PACKAGE_ROOT)
}

/** What this project's workers read with inject('flakeseed'); re-provided before each plan run. */
function provideContext(session: Session, project: TestProject): void {
  const context: WorkerContext = {
    seed: session.seed,
    reseedRandom: session.options.reseedRandom,
    project: project.name,
  }
  if (session.breadcrumbs) context.breadcrumbs = session.breadcrumbs
  // A quarantine applies to runs, never to replays and bisect probes: they must see the failure.
  if (session.plan) context.plan = workerPlan(session, project)
  else if (session.quarantine?.rules.length) context.quarantine = session.quarantine.rules
  if (session.diagnose) context.diagnose = session.diagnose
  if (session.writes) context.writes = session.writes
  else if (session.created) context.created = session.created
  project.provide('flakeseed', context)
}

/** The plan's files of one project, keyed by absolute path as the worker sees them. */
function workerPlan(session: Session, project: TestProject): Record<string, string[]> {
  const plan: Record<string, string[]> = {}
  for (const f of session.plan?.files ?? []) {
    if (fileId(f.project, f.file) !== fileId(project.name, f.file)) continue
    plan[resolve(project.config.root, f.file).replace(/\\/g, '/')] = f.tests
  }
  return plan
}
