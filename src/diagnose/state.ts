// A snapshot of what tests can leave behind in a worker, taken in the worker during a diagnosis
// probe: environment, globals, mocks and spies, fake timers, the exports of the project's modules,
// process state, the DOM and storage (jsdom, happy-dom), and files. Each entry keeps a handle
// that puts its value back, so a probe can undo exactly one leak between the polluters and the
// victim. Loaded only by diagnosis probes (the runner imports it on demand).
import { HIDDEN, isSecretName, type StateEntry } from './diff.js'
import { diffTrees, restoreFile, snapshotTree, type TreeSnapshot } from './files.js'
import { identityOf, intrinsics, isMock, keysOf, maskPath, ownData, restoreValue, shallowCopy, shapeOf, show } from './values.js'

const { getOwnPropertyDescriptor, getOwnPropertyNames, objectKeys, defineProperty } = intrinsics
/** The getters of globals before any test ran: the environment's own (Node's lazy ones, jsdom's), read through. */
const ENVIRONMENT_GETTERS = new Map(getOwnPropertyNames(globalThis).map((name) => [name, getOwnPropertyDescriptor(globalThis, name)?.get]))

/** Puts a location back to the value it had in its snapshot, or removes what was not there. */
interface Slot {
  putBack(): boolean
  remove(): boolean
}

export interface LiveState {
  entries: Map<string, StateEntry>
  slots: Map<string, Slot>
  tree: TreeSnapshot | undefined
}

/** The module graph node Vite's module runner keeps per evaluated module. */
export interface ModuleNode {
  id: string
  file: string | null
  exports?: unknown
  imports: Set<string>
  importers?: Set<string>
}

/** Vitest's `vi`, as far as a snapshot needs it. */
export interface ViLike {
  isFakeTimers(): boolean
  getMockedSystemTime(): Date | null
  useRealTimers(): unknown
}

export interface CaptureOptions {
  root: string
  /** Absolute paths the file snapshot leaves out (the history DB). */
  skip: readonly string[]
  vi: ViLike | undefined
  /** Project modules whose exports are compared, with the names users know them by. */
  modules: ReadonlyArray<{ name: string; node: ModuleNode }>
  /** Names the victim mentions (its source): read first, before a budget runs out. */
  mentions?: ReadonlySet<string>
  /** The `vi.fn()` mocks made so far: their call counts are compared. */
  mocks?: readonly TrackedMock[]
}

/** A `vi.fn()` and the project file line that made it (`test/a.test.ts:3`, or ''). */
export interface TrackedMock {
  mock: unknown
  where: string
}

/** Functions tests commonly spy on or replace, beyond the globals themselves. */
const WATCHED_FUNCTIONS: ReadonlyArray<[string, () => unknown, readonly string[]]> = [
  ['console', () => console, ['log', 'info', 'warn', 'error', 'debug', 'trace']],
  ['Date', () => Date, ['now']],
  ['JSON', () => JSON, ['parse', 'stringify']],
  ['process', () => process, ['exit', 'cwd', 'emitWarning', 'kill']],
  ['process.stdout', () => process.stdout, ['write']],
  ['process.stderr', () => process.stderr, ['write']],
  ['crypto', () => (globalThis as { crypto?: unknown }).crypto, ['randomUUID', 'getRandomValues']],
  ['performance', () => (globalThis as { performance?: unknown }).performance, ['now']],
]

/** Globals that belong to Vitest or to flakeseed itself, never a test's leak. */
const IGNORED_GLOBAL = /^(__vitest|__VITEST|__vite|__vi_|__flakeseed|__coverage__|__TINYPOOL|__tinypool)/
/** Process events whose listener counts are compared. */
const PROCESS_EVENTS = ['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection', 'warning', 'SIGINT', 'SIGTERM', 'message']
/** How deep each export is read, how many entries of one exported value, and of one module in all. */
const MODULE_DEPTH = 3
const VALUE_ENTRIES = 300
const MODULE_ENTRIES = 5_000
/** Keys of localStorage / sessionStorage compared. */
const STORAGE_KEYS = 1_000

export function captureState(options: CaptureOptions): LiveState {
  const entries = new Map<string, StateEntry>()
  const slots = new Map<string, Slot>()
  const add = (key: string, entry: StateEntry, slot: Slot) => {
    entries.set(key, entry)
    slots.set(key, slot)
  }
  const fakeTimers = safe(() => options.vi?.isFakeTimers() ?? false, false)
  // A part that cannot be read (a test replaced process.env with a hostile object…) costs only itself.
  attempt(() => captureEnv(add))
  attempt(() => captureGlobals(add))
  attempt(() => captureFunctions(add))
  attempt(() => captureTimers(add, options.vi, fakeTimers))
  // One object is often reachable from several modules (re-exported, a default export holding
  // named ones): each property is listed once, under the first path that reaches it. Modules
  // imported by more others come first (where a value is defined, not where it is re-exported).
  const located = new WeakMap<object, Set<string>>()
  const modules = [...options.modules].sort((a, b) => (b.node.importers?.size ?? 0) - (a.node.importers?.size ?? 0) || (a.name < b.name ? -1 : 1))
  for (const { name, node } of modules) attempt(() => captureModule(add, name, node, located, options.mentions ?? new Set()))
  attempt(() => capturePrototypes(add, modules))
  attempt(() => captureMockCalls(add, options.mocks ?? []))
  attempt(() => captureProcess(add))
  attempt(() => captureDom(add))
  const tree = snapshotTree(options.root, options.skip)
  return { entries, slots, tree: tree.complete ? tree : undefined }
}

/**
 * File entries of `after` compared with `before` (kept apart: a tree is compared, not listed), of
 * the files `written` says the tests wrote: a file someone else changed meanwhile (the user, an
 * editor) is not a leak, and is never undone.
 */
export function fileEntries(
  before: LiveState,
  after: LiveState,
  written: (file: string) => boolean,
): { before: Map<string, StateEntry>; after: Map<string, StateEntry> } {
  const a = new Map<string, StateEntry>()
  const b = new Map<string, StateEntry>()
  if (!before.tree || !after.tree) return { before: a, after: b }
  for (const change of diffTrees(before.tree, after.tree)) {
    if (!written(change.file)) continue
    const what = change.file
    const key = `file:${what}`
    if (change.before) a.set(key, { kind: 'file', what, identity: `${change.before.size}:${change.before.mtimeMs}`, display: bytes(change.before.size) })
    if (change.after) b.set(key, { kind: 'file', what, identity: `${change.after.size}:${change.after.mtimeMs}`, display: bytes(change.after.size) })
  }
  return { before: a, after: b }
}

/** Undoes one leak: puts the value `before` had back, or removes what `before` did not have. */
export function undo(key: string, before: LiveState, after: LiveState): boolean {
  if (key.startsWith('file:')) return before.tree ? restoreFile(before.tree, key.slice('file:'.length)) : false
  const had = before.slots.get(key)
  if (had) return had.putBack()
  return after.slots.get(key)?.remove() ?? false
}

type Add = (key: string, entry: StateEntry, slot: Slot) => void

function captureEnv(add: Add): void {
  const env = process.env
  for (const name of keysOf(env)) {
    const value = ownData(env, name)?.value
    if (typeof value !== 'string') continue
    add(
      `env:${name}`,
      { kind: 'env', what: `process.env.${name}`, identity: value, display: isSecretName(name) ? HIDDEN : show(value) },
      {
        putBack: () => attempt(() => (process.env[name] = value)),
        remove: () => attempt(() => delete process.env[name]),
      },
    )
  }
}

function captureGlobals(add: Add): void {
  const g = globalThis as Record<string, unknown>
  for (const name of getOwnPropertyNames(g)) {
    if (IGNORED_GLOBAL.test(name)) continue
    const descriptor = getOwnPropertyDescriptor(g, name)
    if (!descriptor) continue
    // The environment's getters are read through: Node defines some globals (fetch, crypto…)
    // lazily, as getters that turn into values on first use, which is no leak. A getter a test
    // defined is never invoked: the getter itself is what is compared.
    const through = 'value' in descriptor || (descriptor.get !== undefined && ENVIRONMENT_GETTERS.get(name) === descriptor.get)
    const value = 'value' in descriptor ? descriptor.value : through ? safe(() => g[name], undefined) : descriptor.get
    const display = isSecretName(name) ? HIDDEN : through ? show(value) : 'a getter'
    add(
      `global:${name}`,
      { kind: 'global', what: `globalThis.${maskPath(name)}`, identity: value, display, mock: isMock(value) },
      {
        putBack: () => attempt(() => defineProperty(g, name, descriptor)),
        remove: () => attempt(() => delete g[name]),
      },
    )
  }
}

function captureFunctions(add: Add): void {
  for (const [ownerName, owner, keys] of WATCHED_FUNCTIONS) {
    const target = safe(owner, undefined) as Record<string, unknown> | undefined
    // A builtin a test replaced with a Proxy (or anything not an object) is compared as a global.
    if (!target || (typeof target !== 'object' && typeof target !== 'function') || shapeOf(target) === 'proxy') continue
    for (const key of keys) {
      const descriptor = getOwnPropertyDescriptor(target, key)
      // Read as the test sees them: inherited (process.stdout.write), or through the accessor a
      // spy may install on the builtin.
      const value = safe(() => target[key], undefined)
      if (typeof value !== 'function') continue
      const what = `${ownerName}.${key}`
      add(
        `fn:${what}`,
        { kind: 'global', what, identity: value, display: show(value), mock: isMock(value) },
        {
          putBack: () => attempt(() => (descriptor ? defineProperty(target, key, descriptor) : (target[key] = value))),
          remove: () => attempt(() => delete target[key]),
        },
      )
    }
  }
}

function captureTimers(add: Add, vi: ViLike | undefined, fake: boolean): void {
  if (!vi) return
  const real = { putBack: () => attempt(() => vi.useRealTimers()), remove: () => attempt(() => vi.useRealTimers()) }
  const cannot = { putBack: () => false, remove: () => false }
  add('timers:fake', { kind: 'timers', what: 'fake timers', identity: fake, display: fake ? 'installed' : 'real timers' }, fake ? cannot : real)
  const time = safe(() => vi.getMockedSystemTime(), null)
  const at = time ? time.getTime() : null
  add(
    'timers:time',
    { kind: 'timers', what: 'system time', identity: at, display: time ? `faked at ${time.toISOString()}` : 'real' },
    at === null ? real : cannot,
  )
}

/**
 * The exports of one module, read to a bounded depth: every primitive, array, Map and Set as a
 * value; every plain object and class instance as a container of its own data properties. Each
 * export has its own budget of entries (a big one cannot hide a small one), names the victim
 * mentions come first, and nothing of the user's runs: no getter, no Proxy trap.
 */
function captureModule(add: Add, moduleName: string, node: ModuleNode, located: WeakMap<object, Set<string>>, mentions: ReadonlySet<string>): void {
  const exports = node.exports as Record<string, unknown> | undefined
  if (!exports || typeof exports !== 'object' || shapeOf(exports) === 'proxy') return
  let total = 0
  let count = 0
  const visit = (owner: Record<string, unknown>, key: string, path: string, depth: number, seen: Set<unknown>, namespace: boolean) => {
    // Past the module's budget, every export is still compared itself, just not read into.
    if (count++ >= VALUE_ENTRIES || (depth > 1 && total >= MODULE_ENTRIES)) return
    total++
    const keys = located.get(owner) ?? new Set<string>()
    if (keys.has(key)) return
    keys.add(key)
    located.set(owner, keys)
    const descriptor = getOwnPropertyDescriptor(owner, key)
    // A getter is only read on the module's own namespace (live bindings); elsewhere it may do anything.
    if (!descriptor || (!namespace && !('value' in descriptor))) return
    const value = 'value' in descriptor ? descriptor.value : safe(() => owner[key], undefined)
    const what = `${moduleName}: ${maskPath(path)}`
    const secret = isSecretName(path)
    const keyName = `module:${moduleName}:${path}`
    const copy = safe(() => shallowCopy(value), undefined)
    // A module's own bindings cannot be assigned from outside; properties of exported objects can.
    // An exported Map, Set or array still bound to the same object is put back in place.
    const slot: Slot = {
      putBack: () => (namespace ? refill(owner, key, value, copy) : attempt(() => (owner[key] = restoreValue(value, copy)))),
      remove: () => !namespace && attempt(() => delete owner[key]),
    }
    const shape = shapeOf(value)
    if (shape === 'function') {
      add(keyName, { kind: 'module', what, identity: value, display: show(value), mock: isMock(value) }, slot)
      return
    }
    const container = shape === 'object'
    const collection = shape === 'array' || shape === 'map' || shape === 'set'
    const identity = collection ? safe(() => identityOf(value), value) : value
    add(keyName, { kind: 'module', what, identity, display: secret ? HIDDEN : show(value), container }, slot)
    if (!container || depth >= MODULE_DEPTH || seen.has(value)) return
    seen.add(value)
    for (const child of mentionedFirst(keysOf(value), mentions)) {
      if (count >= VALUE_ENTRIES) break
      visit(value as Record<string, unknown>, child, `${path}.${child}`, depth + 1, seen, false)
    }
  }
  // Named exports before the default one: `string.email` reads better than `default.string.email`.
  const names = mentionedFirst(
    objectKeys(exports).sort((a, b) => Number(a === 'default') - Number(b === 'default')),
    mentions,
  )
  for (const name of names) {
    if (name === '__esModule' || name === 'Symbol(Symbol.toStringTag)') continue
    count = 0
    attempt(() => visit(exports, name, name === 'default' ? 'default' : name, 1, new Set(), true))
  }
}

/** `names` with those in `mentions` first, each group in its own order. */
function mentionedFirst(names: readonly string[], mentions: ReadonlySet<string>): string[] {
  if (!mentions.size) return [...names]
  return [...names.filter((n) => mentions.has(n)), ...names.filter((n) => !mentions.has(n))]
}

/**
 * Built-in classes whose prototypes tests extend (and forget to clean up), taken when this module
 * loads, before any test runs: fake timers replace `globalThis.Date` with a class of their own.
 */
const BUILTIN_CLASSES: ReadonlyArray<[string, unknown]> = Object.entries({
  Object,
  Array,
  String,
  Number,
  Boolean,
  Function,
  Promise,
  Map,
  Set,
  Date,
  RegExp,
  Error,
})

/**
 * The own properties of the prototypes of built-in classes and of classes the project's modules
 * export: a test that adds `Klass.prototype.x` (or changes a method) changes every instance.
 * Undone by putting the property back as it was, or deleting one that was not there.
 */
function capturePrototypes(add: Add, modules: ReadonlyArray<{ name: string; node: ModuleNode }>): void {
  const seen = new WeakSet<object>()
  for (const [name, klass] of BUILTIN_CLASSES) capturePrototype(add, klass, `${name}.prototype`, 'global', seen)
  for (const { name: file, node } of modules) {
    const exports = node.exports as Record<string, unknown> | undefined
    if (!exports || typeof exports !== 'object' || shapeOf(exports) === 'proxy') continue
    for (const name of safe(() => objectKeys(exports), [] as string[])) {
      capturePrototype(
        add,
        safe(() => exports[name], undefined),
        `${file}: ${name}.prototype`,
        'module',
        seen,
      )
    }
  }
}

function capturePrototype(add: Add, klass: unknown, path: string, kind: 'global' | 'module', seen: WeakSet<object>): void {
  if (typeof klass !== 'function') return
  const proto = safe(() => (klass as { prototype?: unknown }).prototype, undefined)
  if (!proto || typeof proto !== 'object' || seen.has(proto)) return
  seen.add(proto)
  for (const key of safe(() => getOwnPropertyNames(proto), [] as string[])) {
    if (key === 'constructor') continue
    const descriptor = safe(() => getOwnPropertyDescriptor(proto, key), undefined)
    if (!descriptor) continue
    const value = 'value' in descriptor ? descriptor.value : (descriptor.get ?? descriptor.set)
    const what = `${path}.${key}`
    add(
      `proto:${what}`,
      {
        kind,
        what,
        identity: value,
        display: isSecretName(key) ? HIDDEN : 'value' in descriptor ? safe(() => show(value), 'a value') : 'an accessor',
        mock: isMock(value),
      },
      {
        putBack: () => attempt(() => defineProperty(proto, key, descriptor)),
        remove: () => attempt(() => delete (proto as Record<string, unknown>)[key]),
      },
    )
  }
}

/**
 * How many times each `vi.fn()` was called: a module-level mock's history carries over into the
 * next test unless something clears it. Undone by `mockClear()` when it had no calls before.
 */
function captureMockCalls(add: Add, mocks: readonly TrackedMock[]): void {
  mocks.forEach(({ mock, where }, i) => {
    const fn = mock as { mock?: { calls?: unknown[] }; mockClear?: () => unknown; getMockName?: () => string }
    const calls = safe(() => fn.mock?.calls?.length, undefined)
    if (typeof calls !== 'number') return
    const name = safe(() => fn.getMockName?.(), undefined)
    const what = `${name && name !== 'vi.fn()' && name !== 'spy' ? `vi.fn() '${name}'` : 'vi.fn()'}${where ? ` at ${where}` : ''} calls`
    add(
      `mock:calls:${i}`,
      { kind: 'mock', what, identity: calls, display: String(calls), baselineOnly: true },
      { putBack: () => calls === 0 && attempt(() => fn.mockClear?.()), remove: () => false },
    )
  })
}

function captureProcess(add: Add): void {
  const cwd = process.cwd()
  add(
    'process:cwd',
    { kind: 'process', what: 'process.cwd()', identity: cwd, display: show(cwd) },
    { putBack: () => attempt(() => process.chdir(cwd)), remove: () => false },
  )
  const exitCode = process.exitCode
  add(
    'process:exitCode',
    { kind: 'process', what: 'process.exitCode', identity: exitCode, display: show(exitCode) },
    { putBack: () => attempt(() => (process.exitCode = exitCode)), remove: () => attempt(() => (process.exitCode = undefined)) },
  )
  for (const event of PROCESS_EVENTS) {
    const listeners = process.listeners(event as NodeJS.Signals)
    if (!listeners.length) continue
    add(
      `process:listeners:${event}`,
      { kind: 'process', what: `process '${event}' listeners`, identity: listeners.length, display: String(listeners.length) },
      {
        putBack: () => {
          for (const l of process.listeners(event as NodeJS.Signals)) if (!listeners.includes(l)) process.off(event, l)
          return true
        },
        remove: () => false,
      },
    )
  }
}

/** The Web Storage API, as jsdom and happy-dom provide it. */
interface Storage {
  readonly length: number
  key(index: number): string | null
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

function captureDom(add: Add): void {
  const g = globalThis as { document?: { body?: { innerHTML: string }; cookie?: string }; localStorage?: Storage; sessionStorage?: Storage }
  const body = safe(() => g.document?.body, undefined)
  if (body) {
    const html = body.innerHTML
    add(
      'dom:body',
      { kind: 'dom', what: 'document.body', identity: html, display: html ? show(html) : 'empty' },
      { putBack: () => attempt(() => (body.innerHTML = html)), remove: () => attempt(() => (body.innerHTML = '')) },
    )
  }
  for (const name of ['localStorage', 'sessionStorage'] as const) {
    const storage = safe(() => g[name], undefined)
    if (!storage) continue
    // A storage a test replaced with something hostile costs only itself.
    attempt(() => {
      for (let i = 0; i < storage.length && i < STORAGE_KEYS; i++) {
        const key = storage.key(i)
        if (typeof key !== 'string') continue
        const value = storage.getItem(key) ?? ''
        add(
          `dom:${name}:${key}`,
          { kind: 'dom', what: `${name}['${maskPath(key)}']`, identity: value, display: isSecretName(key) ? HIDDEN : show(value) },
          { putBack: () => attempt(() => storage.setItem(key, value)), remove: () => attempt(() => storage.removeItem(key)) },
        )
      }
    })
  }
  const cookie = safe(() => g.document?.cookie, undefined)
  if (cookie) {
    for (const pair of cookie.split(';')) {
      const name = pair.split('=')[0]!.trim()
      if (!name) continue
      add(
        `dom:cookie:${name}`,
        { kind: 'dom', what: `document.cookie ${name}`, identity: pair.trim(), display: HIDDEN },
        {
          putBack: () => attempt(() => (g.document!.cookie = pair.trim())),
          remove: () => attempt(() => (g.document!.cookie = `${name}=; expires=Thu, 01 Jan 1970 00:00:00 GMT`)),
        },
      )
    }
  }
}

/** A top-level export's array, Map or Set, its content put back in place (its binding cannot be assigned). */
function refill(owner: Record<string, unknown>, key: string, value: unknown, copy: ReturnType<typeof shallowCopy>): boolean {
  return copy !== undefined && safe(() => Object.is(owner[key], value), false) && attempt(() => restoreValue(value, copy))
}

function bytes(n: number): string {
  return `${n} byte${n === 1 ? '' : 's'}`
}

function safe<T, F>(read: () => T, fallback: F): T | F {
  try {
    return read()
  } catch {
    return fallback
  }
}

function attempt(action: () => unknown): boolean {
  try {
    action()
    return true
  } catch {
    return false
  }
}
