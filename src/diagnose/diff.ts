// What a polluter left behind, as a difference between two snapshots of the observable state of one
// worker: the one before the polluter ran and the one before the victim ran. Pure: snapshots come
// in as entries (src/diagnose/state.ts takes them in the worker), leaks come out.
import type { LeakKind } from '../core/model.js'
import { SECRET_NAME, SECRET_SHAPE, URL_CREDENTIAL } from '../core/secrets.js'

/** One observable piece of state at a snapshot point. */
export interface StateEntry {
  kind: LeakKind
  /** What a user reads: `process.env.SHOP_CURRENCY`, `src/settings.ts: settings.locale`. */
  what: string
  /** Compared with `Object.is` between two snapshots of one process. */
  identity: unknown
  /** The value, short and on one line (hidden for secret-looking names). */
  display: string
  /** An object whose own entries are listed under it: a change of the object itself hides theirs. */
  container?: boolean
  /** A Vitest mock or spy. */
  mock?: boolean
  /** Compared only when the first snapshot has it: one made in between is no leak (a mock a culprit made). */
  baselineOnly?: boolean
}

/** Snapshot entries by key (`env:NAME`, `global:NAME`, `module:FILE:path`, …). */
export type StateSnapshot = ReadonlyMap<string, StateEntry>

export interface StateChange {
  key: string
  kind: LeakKind
  what: string
  before: string
  after: string
}

const ABSENT: Record<LeakKind, string> = {
  env: '(unset)',
  global: '(absent)',
  mock: '(absent)',
  timers: 'real timers',
  module: '(absent)',
  process: '(none)',
  dom: '(absent)',
  file: '(absent)',
  scope: '',
}

/** What changed from `before` to `after`: added, changed and removed entries, in key order. */
export function diffStates(before: StateSnapshot, after: StateSnapshot): StateChange[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort()
  const changes: StateChange[] = []
  const hidden: string[] = []
  for (const key of keys) {
    // Entries under a container that was replaced, added or removed as a whole say nothing more.
    if (hidden.some((h) => key.startsWith(`${h}.`) || key.startsWith(`${h}[`))) continue
    const a = before.get(key)
    const b = after.get(key)
    if (a && b && Object.is(a.identity, b.identity)) continue
    if (!a && b?.baselineOnly) continue
    const entry = (b ?? a)!
    if (a?.container || b?.container) hidden.push(key)
    // A function that became a mock is a mock leak, whatever slot it sits in.
    const kind: LeakKind = b?.mock && !a?.mock ? 'mock' : entry.kind
    changes.push({ key, kind, what: entry.what, before: a ? a.display : ABSENT[entry.kind], after: b ? b.display : ABSENT[entry.kind] })
  }
  return changes
}

/** Names whose values are never printed or stored: only that they changed. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name)
}

/** `?token=…`, `&password=…`: a secret-looking parameter's value. */
const SECRET_PARAM = /([?&;][^\s=&#]*(?:key|token|secret|pass|pwd|auth|credential|session|signature)[^\s=&#]*=)[^\s&#]*/gi

/** A string as it may be shown: `(hidden)` when it holds a key-shaped value, else credentials inside URLs hidden. */
export function maskSecrets(text: string): string {
  if (SECRET_SHAPE.test(text)) return HIDDEN
  return text.replace(URL_CREDENTIAL, `$1:${HIDDEN}@`).replace(SECRET_PARAM, `$1${HIDDEN}`)
}

export const HIDDEN = '(hidden)'
const MAX_DISPLAY = 60

/** A value as one short line: strings quoted, long ones cut, objects by their kind and size. */
export function displayValue(value: unknown): string {
  const text = describe(value)
  const line = text.replace(/\s*\n\s*/g, ' ')
  return line.length > MAX_DISPLAY ? `${line.slice(0, MAX_DISPLAY - 1)}…` : line
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value).replace(/^"|"$/g, "'")
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'symbol') return value.toString()
  if (typeof value === 'function') {
    const fn = value as { name?: string; _isMockFunction?: boolean; getMockName?: () => string }
    if (fn._isMockFunction === true) return 'a vi.fn() mock'
    return fn.name ? `function ${fn.name}` : 'a function'
  }
  if (Array.isArray(value)) return shortJson(value) ?? `an array of ${value.length}`
  if (value instanceof Map) return `a Map of ${value.size}`
  if (value instanceof Set) return `a Set of ${value.size}`
  if (value instanceof Date) return `Date ${Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString()}`
  if (value instanceof RegExp) return String(value)
  const name = (value as { constructor?: { name?: string } }).constructor?.name
  if (name && name !== 'Object') return `a ${name}`
  return shortJson(value) ?? `an object of ${Object.keys(value as object).length} keys`
}

function shortJson(value: unknown): string | undefined {
  try {
    const json = JSON.stringify(value)
    return json !== undefined && json.length <= MAX_DISPLAY ? json : undefined
  } catch {
    return undefined
  }
}
