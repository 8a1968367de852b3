// flakeseed(): the one line in vitest.config.ts. Wires the sequencer (file order), the runner
// (test order inside files, Math.random) and the reporter (history) into every project it reaches.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vitest/config'
import type { TestProject, Vitest } from 'vitest/node'
import { FlakeseedReporter } from '../reporter/index.js'
import type { WorkerContext } from './context.js'
import { fileId } from './order.js'
import { chooseSeed, resolveOptions, type FlakeseedOptions } from './options.js'
import { createSequencer } from './sequencer.js'
import { getControl, type Session } from './session.js'

export type { FlakeseedOptions, SeedOption } from './options.js'
export { FlakeseedError } from './options.js'
export type { Plan, PlanFile } from './order.js'

const RUNNER = fileURLToPath(new URL('./runner.js', import.meta.url))
const sessions = new WeakMap<Vitest, Session>()
const wired = new WeakMap<Session, TestProject[]>()

export default function flakeseed(options?: FlakeseedOptions): Plugin {
  const resolved = resolveOptions(options)
  const plugin: Plugin = {
    name: 'flakeseed',
    config(config) {
      // Inline projects without `extends: true` do not inherit the root config's plugins, so
      // Vitest would run them unshuffled without a word. Carry the plugin into each of them.
      const projects = (config as { test?: { projects?: unknown[] } }).test?.projects
      for (const project of projects ?? []) {
        if (!project || typeof project !== 'object' || (project as { extends?: unknown }).extends) continue
        const inline = project as { plugins?: unknown[] }
        const plugins = (inline.plugins ??= [])
        if (!plugins.some((p) => (p as { name?: string } | null)?.name === 'flakeseed')) plugins.push(plugin)
      }
    },
    configureVitest({ vitest, project }) {
      let session = sessions.get(vitest)
      if (!session) {
        session = startSession(vitest, resolved)
        sessions.set(vitest, session)
      }
      wireProject(session, vitest, project)
    },
  }
  return plugin
}

function startSession(vitest: Vitest, options: ReturnType<typeof resolveOptions>): Session {
  const control = getControl()
  const chosen = control?.seed
    ? { seed: control.seed, source: control.seedSource ?? ('config' as const) }
    : chooseSeed(options.seed, vitest.config.root)
  const session: Session = {
    seed: chosen.seed,
    seedSource: chosen.source,
    options: { ...options, db: control?.db !== undefined ? control.db : options.db },
    kind: control?.kind ?? 'run',
    quiet: control?.quiet ?? false,
    plan: control?.plan,
    projects: new Set(),
    setPlan(plan) {
      session.plan = plan
      for (const project of wired.get(session) ?? []) provideContext(session, project)
    },
  }
  const sequence = vitest.config.sequence as { sequencer: { name?: string }; shuffle?: boolean }
  const own = sequence.sequencer?.name
  if (own && own !== 'BaseSequencer' && own !== 'RandomSequencer') {
    vitest.logger.warn(`flakeseed: replacing sequence.sequencer (${own}) with flakeseed's seeded sequencer`)
  }
  vitest.config.sequence.sequencer = createSequencer(session)
  // Vitest's own test shuffle would reorder after us; and its resolved `false` would be
  // indistinguishable from a describe's explicit `shuffle: false` opt-out.
  sequence.shuffle = undefined
  const db = session.options.db
  if (db !== false) {
    const dir = (session.breadcrumbs = mkdtempSync(join(tmpdir(), 'flakeseed-')))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  vitest.config.reporters.push(
    new FlakeseedReporter(session, db === false ? false : resolve(vitest.config.root, process.env.FLAKESEED_DB || db)),
  )
  control?.onSession?.(session)
  return session
}

function wireProject(session: Session, vitest: Vitest, project: TestProject): void {
  if (project.config.runner && project.config.runner !== RUNNER) {
    vitest.logger.warn(`flakeseed: project "${project.name || 'default'}" has its own runner (${project.config.runner}); flakeseed replaces it to order tests`)
  }
  project.config.runner = RUNNER
  session.projects.add(project.name)
  let projects = wired.get(session)
  if (!projects) wired.set(session, (projects = []))
  projects.push(project)
  provideContext(session, project)
}

/** What this project's workers read with inject('flakeseed'); re-provided before each plan run. */
function provideContext(session: Session, project: TestProject): void {
  const context: WorkerContext = {
    seed: session.seed,
    reseedRandom: session.options.reseedRandom,
    project: project.name,
  }
  if (session.breadcrumbs) context.breadcrumbs = session.breadcrumbs
  if (session.plan) context.plan = workerPlan(session, project)
  project.provide('flakeseed', context)
}

/** The plan's files of one project, keyed by absolute path as the worker sees them. */
export function workerPlan(session: Session, project: TestProject): Record<string, string[]> {
  const plan: Record<string, string[]> = {}
  for (const f of session.plan?.files ?? []) {
    if (fileId(f.project, f.file) !== fileId(project.name, f.file)) continue
    plan[resolve(project.config.root, f.file).replace(/\\/g, '/')] = f.tests
  }
  return plan
}
