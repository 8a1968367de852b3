// Reading a test's values without running a line of its code. A diagnosis probe looks at whatever
// the tests left behind: Proxies whose traps throw, getters with side effects, cyclic graphs,
// million-entry Maps, and builtins a test mocked (`vi.spyOn(JSON, 'stringify')`). So nothing here
// calls a user value's methods, traps or getters, and every builtin it uses is the copy taken when
// this module loaded, before any test ran (the runner imports it on the first test file's import).
import { types } from 'node:util'
import { displayValue, HIDDEN, isSecretName, maskSecrets } from './diff.js'

const { apply, getPrototypeOf, ownKeys } = Reflect
const { getOwnPropertyDescriptor, getOwnPropertyNames, keys: objectKeys, defineProperty } = Object
const { isArray } = Array
const { isView } = ArrayBuffer
const { isProxy } = types
const stringify = JSON.stringify
const NativeWeakMap = WeakMap
const mapSize = getOwnPropertyDescriptor(Map.prototype, 'size')!.get!
const setSize = getOwnPropertyDescriptor(Set.prototype, 'size')!.get!
const { forEach: mapForEach, set: mapSet, clear: mapClear } = Map.prototype
const { forEach: setForEach, add: setAdd, clear: setClear } = Set.prototype
const { getTime, toISOString } = Date.prototype
const regexpSource = getOwnPropertyDescriptor(RegExp.prototype, 'source')!.get!
const regexpFlags = getOwnPropertyDescriptor(RegExp.prototype, 'flags')!.get!
const { splice, push } = Array.prototype

/** The builtins the worker itself needs, as they were before any test ran. */
export const intrinsics = { stringify, objectKeys, ownKeys, getOwnPropertyDescriptor, getOwnPropertyNames, defineProperty, isArray }

/** What a value is, found by brand checks and never by `instanceof` (which runs a Proxy's traps). */
export type Shape = 'primitive' | 'function' | 'proxy' | 'array' | 'map' | 'set' | 'date' | 'regexp' | 'view' | 'object'

export function shapeOf(value: unknown): Shape {
  if (typeof value === 'function') return isProxy(value) ? 'proxy' : 'function'
  if (!value || typeof value !== 'object') return 'primitive'
  if (isProxy(value)) return 'proxy'
  if (isArray(value)) return 'array'
  if (isView(value)) return 'view'
  // A plain object is the common case: its prototype says so without a brand check (they throw).
  const proto = getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return 'object'
  if (brand(mapSize, value)) return 'map'
  if (brand(setSize, value)) return 'set'
  if (brand(getTime, value)) return 'date'
  if (value !== RegExp.prototype && brand(regexpSource, value)) return 'regexp'
  return 'object'
}

function brand(method: (...args: never[]) => unknown, value: object): boolean {
  try {
    apply(method, value, [])
    return true
  } catch {
    return false
  }
}

/** An own property's value if it is data; `undefined` for a getter (never invoked) or a Proxy. */
export function ownData(owner: unknown, key: PropertyKey): { value: unknown } | undefined {
  if (owner === null || (typeof owner !== 'object' && typeof owner !== 'function') || isProxy(owner)) return undefined
  const descriptor = getOwnPropertyDescriptor(owner, key)
  return descriptor && 'value' in descriptor ? { value: descriptor.value } : undefined
}

/** An object's own enumerable string keys, or none for a Proxy (its `ownKeys` trap may do anything). */
export function keysOf(value: unknown): string[] {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || isProxy(value)) return []
  return objectKeys(value)
}

export function isMock(value: unknown): boolean {
  return typeof value === 'function' && ownData(value, '_isMockFunction')?.value === true
}

/** The number of entries of an array, Map or Set. */
export function sizeOf(value: unknown, shape = shapeOf(value)): number {
  if (shape === 'array') return (value as unknown[]).length
  if (shape === 'map') return apply(mapSize, value, []) as number
  if (shape === 'set') return apply(setSize, value, []) as number
  return 0
}

/** The first `limit` entries of an array, Map (as [key, value]) or Set, holes and getters as undefined. */
export function entriesOf(value: unknown, limit: number, shape = shapeOf(value)): unknown[] {
  const items: unknown[] = []
  if (shape === 'array') {
    const n = Math.min((value as unknown[]).length, limit)
    for (let i = 0; i < n; i++) apply(push, items, [ownData(value, i)?.value])
  } else if (shape === 'map' || shape === 'set') {
    // forEach cannot stop early: an exception does, and is the cheapest way out of a huge one.
    const stop = {}
    try {
      apply(shape === 'map' ? mapForEach : setForEach, value, [
        (v: unknown, k: unknown) => {
          if (items.length >= limit) throw stop
          apply(push, items, [shape === 'map' ? [k, v] : v])
        },
      ])
    } catch (error) {
      if (error !== stop) throw error
    }
  }
  return items
}

/** Collections up to this size are copied, so an in-place change of any entry shows and can be undone. */
export const COPY_LIMIT = 100_000
/** Entries of a larger collection its identity reads (its size counts too). */
const SAMPLE = 1_000
/** Characters of entry content an identity holds. */
const IDENTITY_CHARS = 4_000

export type Copy = { shape: 'array' | 'map' | 'set'; entries: unknown[] }

/** A copy of an array, Map or Set's entries (undefined above COPY_LIMIT or for any other value). */
export function shallowCopy(value: unknown): Copy | undefined {
  const shape = shapeOf(value)
  if (shape !== 'array' && shape !== 'map' && shape !== 'set') return undefined
  if (sizeOf(value, shape) > COPY_LIMIT) return undefined
  return { shape, entries: entriesOf(value, COPY_LIMIT, shape) }
}

/** The same array, Map or Set with the copied content put back (throws for one too large to copy); any other value as it was. */
export function restoreValue(value: unknown, copy: Copy | undefined): unknown {
  if (!copy) {
    const shape = shapeOf(value)
    if (shape === 'array' || shape === 'map' || shape === 'set') throw new Error('too large to have been copied')
    return value
  }
  if (copy.shape === 'array') apply(splice, value, [0, (value as unknown[]).length, ...copy.entries])
  else if (copy.shape === 'map') {
    apply(mapClear, value, [])
    for (const [k, v] of copy.entries as Array<[unknown, unknown]>) apply(mapSet, value, [k, v])
  } else {
    apply(setClear, value, [])
    for (const v of copy.entries) apply(setAdd, value, [v])
  }
  return value
}

const ids = new NativeWeakMap<object, number>()
let nextId = 0
function idOf(value: object): number {
  let id = ids.get(value)
  if (id === undefined) ids.set(value, (id = ++nextId))
  return id
}

/**
 * What an in-place change of an array, Map or Set changes: its size, and its entries (primitives by
 * value, objects by their data to a few thousand characters, then by identity). Above COPY_LIMIT,
 * only the size and the first SAMPLE entries count.
 */
export function identityOf(value: unknown): string {
  const shape = shapeOf(value)
  const size = sizeOf(value, shape)
  const items = entriesOf(value, size > COPY_LIMIT ? SAMPLE : COPY_LIMIT, shape)
  const parts: string[] = [String(size)]
  let chars = 0
  const part = (item: unknown): string => {
    if (item === null || (typeof item !== 'object' && typeof item !== 'function')) return typeof item === 'string' ? stringify(item) : String(item)
    if (chars < IDENTITY_CHARS) {
      const json = jsonOf(item, 200, false)
      if (json !== undefined) {
        chars += json.length
        return json
      }
    }
    return `#${idOf(item)}`
  }
  for (const item of items) apply(push, parts, [shape === 'map' ? `${part((item as unknown[])[0])}=>${part((item as unknown[])[1])}` : part(item)])
  return parts.join(',')
}

/** A property path as a user reads it: a segment that is itself a secret (a token used as a key) hidden. */
export function maskPath(path: string): string {
  if (maskSecrets(path) === path) return path
  return path
    .split('.')
    .map((segment) => (maskSecrets(segment) === segment ? segment : HIDDEN))
    .join('.')
}

const MAX_DISPLAY = 60

/** A value as one short line for a user, secrets masked at every depth, no user code run. */
export function show(value: unknown): string {
  try {
    const text = describeValue(value)
    return text.length > MAX_DISPLAY ? `${text.slice(0, MAX_DISPLAY - 1)}…` : text
  } catch {
    return 'a value that cannot be read'
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return quote(value)
  const shape = shapeOf(value)
  switch (shape) {
    case 'primitive':
      return displayValue(value)
    case 'proxy':
      return typeof value === 'function' ? 'a Proxy of a function' : 'a Proxy'
    case 'function': {
      if (isMock(value)) return 'a vi.fn() mock'
      const name = ownData(value, 'name')?.value
      return typeof name === 'string' && name ? `function ${name}` : 'a function'
    }
    case 'array':
      return jsonOf(value, MAX_DISPLAY, true) ?? `an array of ${sizeOf(value, shape)}`
    case 'map':
      return `a Map of ${sizeOf(value, shape)}`
    case 'set':
      return `a Set of ${sizeOf(value, shape)}`
    case 'date': {
      const time = apply(getTime, value, []) as number
      return `Date ${Number.isNaN(time) ? 'Invalid' : apply(toISOString, value, [])}`
    }
    case 'regexp':
      return maskSecrets(`/${apply(regexpSource, value, [])}/${apply(regexpFlags, value, [])}`)
    default: {
      const name = constructorName(value as object)
      if (name && name !== 'Object') return `a ${name}`
      return jsonOf(value, MAX_DISPLAY, true) ?? `an object of ${keysOf(value).length} keys`
    }
  }
}

function constructorName(value: object): string | undefined {
  const proto = getPrototypeOf(value)
  if (proto === null) return undefined
  const ctor = ownData(proto, 'constructor')?.value
  const name = typeof ctor === 'function' ? ownData(ctor, 'name')?.value : undefined
  return typeof name === 'string' ? name : undefined
}

/** A string as a user reads it: quoted on one line, a secret's shape hidden. */
function quote(text: string): string {
  const masked = maskSecrets(text)
  if (masked === HIDDEN) return HIDDEN
  return stringify(masked)
    .replace(/^"|"$/g, "'")
    .replace(/\s*\n\s*/g, ' ')
}

/**
 * JSON of plain data read from own data properties (what `JSON.stringify` prints for it), or
 * undefined when it is longer than `max`, cyclic, or holds a getter, a Proxy or a class instance.
 * With `mask`, values under secret-looking keys and secret-shaped strings read `(hidden)`.
 */
function jsonOf(value: unknown, max: number, mask: boolean): string | undefined {
  let length = 0
  const out: string[] = []
  const emit = (text: string) => {
    length += text.length
    if (length > max) throw TOO_LONG
    apply(push, out, [text])
  }
  const write = (v: unknown, depth: number): void => {
    if (depth > 8) throw TOO_LONG
    if (v === null || typeof v === 'number' || typeof v === 'boolean') {
      emit(v === null || (typeof v === 'number' && !Number.isFinite(v)) ? 'null' : String(v))
      return
    }
    if (typeof v === 'string') {
      emit(stringify(mask ? maskSecrets(v) : v))
      return
    }
    const shape = shapeOf(v)
    if (shape === 'array') {
      emit('[')
      const n = (v as unknown[]).length
      for (let i = 0; i < n; i++) {
        if (i) emit(',')
        const item = getOwnPropertyDescriptor(v as object, i)
        if (item && !('value' in item)) throw TOO_LONG
        const x = item?.value
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') emit('null')
        else write(x, depth + 1)
      }
      emit(']')
      return
    }
    const name = shape === 'object' ? constructorName(v as object) : 'none'
    if (name !== undefined && name !== 'Object') throw TOO_LONG
    emit('{')
    let first = true
    for (const key of objectKeys(v as object)) {
      const field = getOwnPropertyDescriptor(v as object, key)!
      if (!('value' in field)) throw TOO_LONG
      const x = field.value
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue
      emit(`${first ? '' : ','}${stringify(key)}:`)
      first = false
      if (mask && isSecretName(key)) emit(stringify(HIDDEN))
      else write(x, depth + 1)
    }
    emit('}')
  }
  try {
    write(value, 0)
    return out.join('')
  } catch {
    return undefined
  }
}
const TOO_LONG = new Error('too long')
