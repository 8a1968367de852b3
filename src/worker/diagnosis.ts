// The worker's side of a diagnosis probe. The probe runs the culprits and then the victim; this
// module takes a snapshot of the worker's state where the culprits start and where the victim
// starts, and writes what differs (the leaks) to a report file for the bisect coordinator. It can
// undo chosen leaks just before the victim, so the coordinator can check which one is the cause.
//
// "Where a culprit starts" is as close to it as the task tree allows without counting what the
// victim also sees: the start of the child of their common describe that holds the culprit (so a
// describe's beforeAll hooks count, the file's own hooks do not); for a culprit in another file
// (isolate: false), that file's import and its start. The victim's point is the start of the child
// of the common describe that holds the victim, or its file's import.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DiagnoseContext } from './context.js'
import { diffStates, type StateChange, type StateEntry, type StateSnapshot } from '../diagnose/diff.js'
import { isNoted, notedIn, readWrites } from './writes.js'
import { captureState, fileEntries, type LiveState, type ModuleNode, type TrackedMock, undo, type ViLike } from '../diagnose/state.js'
import { intrinsics } from '../diagnose/values.js'

// Taken when this module loads, before any test runs: a test may leave `JSON.stringify` mocked.
const { stringify } = intrinsics

/** Project modules looked at per snapshot, and how many of them (closest to the tests first) are compared. */
const MODULES_SCANNED = 2_000
const MODULES_COMPARED = 50

/** What the runner knows of a task: enough to find a common describe. */
export interface TreeTask {
  type: 'test' | 'suite'
  suite?: TreeTask
  file?: { filepath: string }
  filepath?: string
}

export interface DiagnosisReport {
  /** The victim's point was reached (the culprits did not crash the worker first). */
  reached: boolean
  leaks: Array<{ key: string; kind: StateEntry['kind']; what: string; before: string; after: string; by: string }>
  /** Undo asked for, per key: whether the value could be put back. */
  undone: Record<string, boolean>
  /** Names the culprits changed through `vi.stubEnv` / `vi.stubGlobal` (fixed by `unstubEnvs`/`unstubGlobals`). */
  stubbed: { env: string[]; global: string[] }
  /** The project root the files are relative to (to read a test's source). */
  root?: string
}

interface Point {
  /** The culprit that starts here ('' for the victim's point). */
  culprit: string
  states: LiveState[]
}

const HERE = dirname(fileURLToPath(import.meta.url))

export class DiagnosisProbe {
  private readonly points: Point[] = []
  private readonly triggers = new Map<unknown, Array<() => void>>()
  private readonly importTriggers = new Map<string, () => void>()
  private readonly startTriggers = new Map<string, () => void>()
  private readonly stubbed = { env: new Set<string>(), global: new Set<string>() }
  /** Names the victim's source mentions: their state is read first. */
  private readonly mentions: ReadonlySet<string>
  /** Every `vi.fn()` made since the probe started, with where: their call counts are state. */
  private readonly mocks: TrackedMock[] = []
  /** The exports object of each project module at each snapshot: which module instance it read. */
  private readonly instances = new WeakMap<LiveState, Map<string, unknown>>()
  private done = false

  constructor(
    private readonly ctx: DiagnoseContext,
    private readonly vi: ViLike & Record<string, unknown>,
    private readonly modules: () => Iterable<ModuleNode>,
  ) {
    this.watchStubs()
    this.mentions = mentionsOf(ctx.victim.file)
    this.watchMocks()
    // Culprits in other files: their file's import and start (the runner calls `onImport`/`onFileStart`).
    const seen = new Set<string>()
    for (const culprit of ctx.culprits) {
      if (culprit.file === ctx.victim.file || seen.has(culprit.file)) continue
      seen.add(culprit.file)
      const point: Point = { culprit: culprit.id, states: [] }
      this.points.push(point)
      this.importTriggers.set(culprit.file, () => point.states.push(this.capture()))
      this.startTriggers.set(culprit.file, () => point.states.push(this.capture()))
    }
    if (!ctx.culprits.some((c) => c.file === ctx.victim.file)) {
      this.importTriggers.set(ctx.victim.file, () => this.atVictim())
    }
  }

  /**
   * The victim's file is collected: place the points of the culprits in it, and the victim's,
   * on the tasks where they start. `taskOf` finds a test of the file by its flakeseed name.
   */
  onCollected(file: string, taskOf: (name: string) => TreeTask | undefined): void {
    if (file !== this.ctx.victim.file) return
    const victim = taskOf(this.ctx.victim.name)
    if (!victim) return
    let last: TreeTask | undefined
    for (const culprit of this.ctx.culprits) {
      if (culprit.file !== file) continue
      const task = taskOf(culprit.name)
      if (!task) continue
      const point: Point = { culprit: culprit.id, states: [] }
      this.points.push(point)
      this.on(startOf(task, victim), () => point.states.push(this.capture()))
      last = task
    }
    if (last) this.on(startOf(victim, last), () => this.atVictim())
  }

  onImport(file: string): void {
    this.importTriggers.get(file)?.()
    this.importTriggers.delete(file)
  }

  onFileStart(file: string): void {
    this.startTriggers.get(file)?.()
    this.startTriggers.delete(file)
  }

  /** A suite or test is about to start (before its hooks). */
  onStart(task: unknown): void {
    for (const action of this.triggers.get(task) ?? []) action()
    this.triggers.delete(task)
  }

  private on(task: unknown, action: () => void): void {
    this.triggers.set(task, [...(this.triggers.get(task) ?? []), action])
  }

  /** A snapshot; never throws (a throw here would fail the test about to start). */
  private capture(): LiveState {
    try {
      const root = this.ctx.root
      const found: Array<{ name: string; node: ModuleNode }> = []
      for (const node of this.modules()) {
        const file = node.file
        if (!file?.startsWith(root + sep) || file.includes(`${sep}node_modules${sep}`) || file.startsWith(HERE)) continue
        if (this.ctx.testFiles.includes(file)) continue
        found.push({ name: relative(root, file).split(sep).join('/'), node })
        if (found.length >= MODULES_SCANNED) break
      }
      const modules = this.closestFirst(found).slice(0, MODULES_COMPARED)
      const state = captureState({ root, skip: this.ctx.skip, vi: this.vi, modules, mentions: this.mentions, mocks: this.mocks })
      this.instances.set(state, new Map(modules.map((m) => [m.name, m.node.exports])))
      return state
    } catch {
      return { entries: new Map(), slots: new Map(), tree: undefined }
    }
  }

  /**
   * The modules the test files import themselves first, then the most imported: a setup file
   * that loads hundreds of modules (zod's compile mode) must not push out the one the victim uses.
   */
  private closestFirst(found: Array<{ name: string; node: ModuleNode }>): Array<{ name: string; node: ModuleNode }> {
    const tests = this.ctx.testFiles
    const direct = (node: ModuleNode) => [...(node.importers ?? [])].some((id) => tests.some((file) => id === file || id.startsWith(`${file}?`)))
    const rank = new Map(found.map(({ node }) => [node, direct(node) ? 0 : 1]))
    return [...found].sort(
      (a, b) => rank.get(a.node)! - rank.get(b.node)! || (b.node.importers?.size ?? 0) - (a.node.importers?.size ?? 0) || (a.name < b.name ? -1 : 1),
    )
  }

  private atVictim(): void {
    if (this.done) return
    this.done = true
    let report: DiagnosisReport = {
      reached: true,
      leaks: [],
      undone: {},
      stubbed: { env: [...this.stubbed.env], global: [...this.stubbed.global] },
      root: this.ctx.root,
    }
    try {
      report = this.compare(report)
    } catch {
      // The victim was reached: what was compared before the failure is still reported.
    }
    try {
      writeFileSync(this.ctx.report, stringify(report))
    } catch {
      // The coordinator reads a missing report as "not observed".
    }
  }

  /** The leaks between the first culprit's point and the victim's, and the undo asked for. */
  private compare(report: DiagnosisReport): DiagnosisReport {
    const victim = this.capture()
    const points = this.points.filter((p) => p.states.length)
    if (points.length) {
      // The first culprit's point is the baseline; a file's import counts before its start.
      const baseline = merged(points[0]!.states)
      // Only files this probe's workers noted writing (src/worker/writes.ts) can be a leak.
      const noted = this.ctx.writes ? notedIn(readWrites(this.ctx.writes), this.ctx.root) : []
      const files = fileEntries(points[0]!.states[0]!, victim, (file) => isNoted(noted, file))
      const diff = withoutTimerNoise(diffStates(withFiles(baseline.entries, files.before), withFiles(victim.entries, files.after)))
      const changes = this.sameInstances(diff, baseline.states, victim)
      const chain = [...points.map((p) => merged(p.states)), victim]
      for (const change of changes) {
        // Left by the culprit of the first interval in which it changed.
        let by = points[0]!.culprit
        for (let i = 0; i < chain.length - 1; i++) {
          const a = chain[i]!.entries.get(change.key)
          const b = chain[i + 1]!.entries.get(change.key)
          if (change.key.startsWith('file:') || !a || !b ? a !== b : !Object.is(a.identity, b.identity)) {
            by = points[i]!.culprit
            break
          }
        }
        report.leaks.push({ ...change, by })
      }
      for (const key of this.ctx.undo ?? []) report.undone[key] = undo(key, baseline.owner(key) ?? baseline.states[0]!, victim)
    }
    return report
  }

  /**
   * Records each `vi.fn()` and the project file line that made it: a module-level mock's call
   * history carries over from test to test (fixed by `clearMocks`), and Vitest lists no mocks.
   */
  private watchMocks(): void {
    const vi = this.vi
    const original = vi.fn
    if (typeof original !== 'function') return
    const root = this.ctx.root
    const mocks = this.mocks
    vi.fn = function (this: unknown, ...args: unknown[]) {
      const mock = (original as (...a: unknown[]) => unknown).apply(this, args)
      mocks.push({ mock, where: creationSite(new Error().stack ?? '', root) })
      return mock
    }
  }

  /**
   * Without the changes of modules the registry dropped or evaluated anew in between
   * (`vi.resetModules()`): an old instance's values are not what the victim reads.
   */
  private sameInstances(changes: StateChange[], baseline: readonly LiveState[], victim: LiveState): StateChange[] {
    const then = (name: string) => baseline.map((s) => this.instances.get(s)?.get(name)).find((e) => e !== undefined)
    const now = this.instances.get(victim)
    return changes.filter((c) => {
      const name = moduleOf(c.key)
      const before = name === undefined ? undefined : then(name)
      return before === undefined || now?.get(name!) === before
    })
  }

  /** Records the names culprits stub through Vitest, to suggest `unstubEnvs`/`unstubGlobals`. */
  private watchStubs(): void {
    const vi = this.vi
    for (const [method, names] of [
      ['stubEnv', this.stubbed.env],
      ['stubGlobal', this.stubbed.global],
    ] as const) {
      const original = vi[method]
      if (typeof original !== 'function') continue
      vi[method] = function (this: unknown, name: unknown, ...rest: unknown[]) {
        names.add(String(name))
        return (original as (...args: unknown[]) => unknown).call(this, name, ...rest)
      }
    }
  }
}

/** The identifiers a test file's source mentions (none when it cannot be read). */
function mentionsOf(file: string): Set<string> {
  try {
    return new Set(readFileSync(file, 'utf8').match(/[A-Za-z_$][\w$]*/g) ?? [])
  } catch {
    return new Set()
  }
}

/**
 * Where `task` starts as seen from `other`: the child of their deepest common describe (or file)
 * that holds `task`.
 */
function startOf(task: TreeTask, other: TreeTask): TreeTask {
  const ancestors = new Set<TreeTask>()
  for (let t: TreeTask | undefined = other; t; t = t.suite) ancestors.add(t)
  let child = task
  for (let t: TreeTask | undefined = task.suite; t; t = t.suite) {
    if (ancestors.has(t)) return child
    child = t
  }
  return child
}

/** The module a snapshot key belongs to (`module:src/a.ts:x`, `proto:src/a.ts: K.prototype.y`), if any. */
function moduleOf(key: string): string | undefined {
  if (key.startsWith('module:')) return key.slice('module:'.length, key.indexOf(':', 'module:'.length))
  if (key.startsWith('proto:') && key.includes(': ')) return key.slice('proto:'.length, key.indexOf(': '))
  return undefined
}

/** `test/shop.test.ts:3`: the first frame of `stack` in a project file (not a dependency), or ''. */
export function creationSite(stack: string, root: string): string {
  for (const line of stack.split('\n').slice(1)) {
    const at = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):\d+\)?\s*$/.exec(line)
    if (!at) continue
    const file = at[1]!.replace(/^file:\/\//, '')
    if (!file.startsWith(root + sep) || file.includes(`${sep}node_modules${sep}`) || file.startsWith(HERE)) continue
    return `${relative(root, file).split(sep).join('/')}:${at[2]}`
  }
  return ''
}

/** Several snapshots of one point (a file's import, then its start): the earliest value of each entry counts. */
function merged(states: LiveState[]): { entries: Map<string, StateEntry>; states: LiveState[]; owner(key: string): LiveState | undefined } {
  const entries = new Map<string, StateEntry>()
  const owners = new Map<string, LiveState>()
  for (const state of states) {
    for (const [key, entry] of state.entries) {
      if (entries.has(key)) continue
      entries.set(key, entry)
      owners.set(key, state)
    }
  }
  return { entries, states, owner: (key) => owners.get(key) }
}

/** Fake timers replace the timer functions, Date and performance: with them, only the timers leak shows. */
function withoutTimerNoise(changes: StateChange[]): StateChange[] {
  if (!changes.some((c) => c.key === 'timers:fake')) return changes
  return changes.filter((c) => !TIMER_KEYS.test(c.key))
}
const TIMER_KEYS =
  /^(global:(setTimeout|clearTimeout|setInterval|clearInterval|setImmediate|clearImmediate|queueMicrotask|requestAnimationFrame|cancelAnimationFrame|requestIdleCallback|cancelIdleCallback|Date|performance|Intl)|fn:(Date|performance)\.)/

function withFiles(entries: StateSnapshot, files: StateSnapshot): Map<string, StateEntry> {
  return new Map([...entries, ...files])
}
