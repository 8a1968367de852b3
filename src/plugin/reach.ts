// How the one plugin line in the root config reaches every project of a run. Vitest calls a
// plugin's `configureVitest` only for projects whose own Vite config carries it, and
//  - inline `test.projects` objects without `extends: true` do not inherit the root's plugins;
//  - projects from config files or globs (`'packages/*'`) load their own config, or none;
//  - with only such projects, the root config is no project at all, so no hook of ours runs.
// So the root plugin carries itself into inline projects (config hook), installs a sequencer
// that Vitest constructs with the Vitest instance even when no `configureVitest` ran, and wires
// every project it finds there. A project it cannot reach gets one warning line, never silence.
import { relative } from 'node:path'
import type { Plugin } from 'vitest/config'
import {
  BaseSequencer,
  version as vitestVersion,
  type TestProject,
  type TestSequencer,
  type TestSequencerConstructor,
  type TestSpecification,
  type Vitest,
} from 'vitest/node'
import { toPosix } from '../core/names.js'

export const PLUGIN_NAME = 'flakeseed'

type Config = { test?: { projects?: unknown[]; sequence?: { sequencer?: unknown; shuffle?: unknown } } }
type ProjectEnv = Record<string, unknown>

/** Adds `plugin` to every inline project that would not otherwise load it. */
export function carryIntoInlineProjects(config: Config, plugin: Plugin): void {
  const projects = config.test?.projects
  if (!Array.isArray(projects)) return
  projects.forEach((entry, i) => {
    // Strings are config files or globs: they load their own config, reached via the sequencer.
    if (typeof entry === 'function') {
      const define = entry as (env: ProjectEnv) => unknown
      projects[i] = async (env: ProjectEnv) => withPlugin(await define(env), plugin)
    } else if (isThenable(entry)) {
      projects[i] = Promise.resolve(entry).then((project) => withPlugin(project, plugin))
    } else {
      withPlugin(entry, plugin)
    }
  })
}

/** Vitest 5 makes an inline project extend the config declaring it unless it says `extends: false`. */
const EXTENDS_BY_DEFAULT = Number(vitestVersion.split('.')[0]) >= 5

function withPlugin(project: unknown, plugin: Plugin): unknown {
  if (!project || typeof project !== 'object') return project
  // An extending project reloads the root config, plugin included: adding it again would apply
  // it twice (Vitest 5 warns about exactly that).
  const extendsRoot = (project as { extends?: unknown }).extends
  if (extendsRoot === true || (EXTENDS_BY_DEFAULT && extendsRoot === undefined)) return project
  const inline = project as { plugins?: unknown[] }
  const plugins = (inline.plugins ??= [])
  if (!carries(plugins)) plugins.push(plugin)
  return project
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return !!value && typeof (value as { then?: unknown }).then === 'function'
}

/** Whether a list of Vite plugin options (nested arrays allowed) holds a flakeseed plugin. */
export function carries(plugins: ReadonlyArray<unknown> | undefined): boolean {
  return (plugins ?? []).flat(Infinity).some((p) => (p as { name?: unknown } | null)?.name === PLUGIN_NAME)
}

/** The root config carries the plugin: then it reaches every project, whatever its own config. */
export function rootCarries(vitest: Vitest): boolean {
  return carries(vitest.vite.config.plugins)
}

/** Marks the sequencer the config hook installs, and remembers the user's sequencer it replaced. */
export interface BootstrapSequencer extends TestSequencerConstructor {
  flakeseedBootstrap: true
  replaced?: string
  /** Starts flakeseed on this Vitest instance now rather than when the first run begins. */
  start(vitest: Vitest): void
}

/**
 * Installs a sequencer in the config: `reach(vitest)` runs when Vitest constructs it, just
 * before the first run, and gives the sequencer that really sorts. When a project's
 * `configureVitest` ran first, flakeseed has already put its own sequencer in place and this
 * one is never constructed.
 */
export function installSequencer(config: Config, reach: (vitest: Vitest) => TestSequencerConstructor): void {
  const test = (config.test ??= {})
  const sequence = (test.sequence ??= {}) as { sequencer?: unknown; shuffle?: unknown }
  // flakeseed's order supersedes Vitest's shuffle; left in, Vitest would announce a seed of its own.
  delete sequence.shuffle
  const own = sequence.sequencer as (TestSequencerConstructor & Partial<BootstrapSequencer>) | undefined
  if (own?.flakeseedBootstrap) return
  class FlakeseedBootstrapSequencer extends BaseSequencer {
    static flakeseedBootstrap = true as const
    static replaced = own?.name
    static start(vitest: Vitest): void {
      reach(vitest)
    }
    private readonly sequencer: TestSequencer
    constructor(vitest: Vitest) {
      super(vitest)
      this.sequencer = new (reach(vitest))(vitest)
    }
    override async shard(specs: TestSpecification[]): Promise<TestSpecification[]> {
      return this.sequencer.shard(specs)
    }
    override async sort(specs: TestSpecification[]): Promise<TestSpecification[]> {
      return this.sequencer.sort(specs)
    }
  }
  sequence.sequencer = FlakeseedBootstrapSequencer
}

/**
 * For a Vitest instance created in this process (replay, bisect): starts flakeseed right away
 * when only the root config carries it, so the session exists before the first run.
 */
export function startInstalled(vitest: Vitest): void {
  const sequencer = vitest.config.sequence.sequencer as Partial<BootstrapSequencer>
  if (sequencer.flakeseedBootstrap) sequencer.start?.(vitest)
}

/** The name of a user's own sequencer flakeseed replaces, if any. */
export function replacedSequencer(sequencer: unknown): string | undefined {
  const own = sequencer as ({ name: string } & Partial<BootstrapSequencer>) | undefined
  if (!own) return undefined
  if (own.flakeseedBootstrap) return own.replaced
  return own.name === 'BaseSequencer' || own.name === 'RandomSequencer' ? undefined : own.name || 'anonymous'
}

/** The distinct projects of these specifications, in first-seen order. */
export function projectsOf(specs: ReadonlyArray<TestSpecification>): TestProject[] {
  return [...new Set(specs.map((spec) => spec.project))]
}

/** One line naming a project flakeseed cannot reach and how to fix it. */
export function unreachedWarning(vitest: Vitest, project: TestProject): string {
  const root = vitest.config.root
  const rel = (path: string) => toPosix(relative(root, path)) || '.'
  const own = project.vite.config.configFile
  const rootFile = vitest.vite.config.configFile
  const rootConfig = rootFile ? rel(rootFile) : 'the root config'
  // Without a config file of its own, a project is inline in the root config or a directory.
  const where = own ? rel(own) : project.config.root !== root ? `${rel(project.config.root)}/` : `inline in ${rootConfig}`
  const fix = own
    ? `add flakeseed() to its plugins, or to those of ${rootConfig} to reach every project`
    : `add flakeseed() to the plugins of ${rootConfig} to reach every project`
  const name = project.name || 'default'
  if (project.config.browser?.enabled) {
    return `flakeseed: project "${name}" (${where}) runs in a browser, where flakeseed cannot order tests yet: its files are shuffled, its tests run in declaration order`
  }
  return `flakeseed: project "${name}" (${where}) runs without flakeseed, its tests in declaration order: ${fix}`
}
