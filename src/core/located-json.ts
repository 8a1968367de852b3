// JSON that remembers where each value was: a file people edit by hand (the quarantine list) gets
// errors that name the line, for a syntax error as for a wrong value. JSON.parse gives neither a
// line (Node 20 says "position N", and only for syntax) nor where a parsed value came from.
// Pure.

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

export interface LocatedJson {
  value: unknown
  /** The line of an object or array, or (with `key`) of one of its members; 1-based. */
  lineOf(container: object, key?: string | number): number
}

/**
 * How deep arrays and objects may nest. The parser recurses once per level: without a bound a
 * file nested 200,000 deep ends in a RangeError instead of a line naming the file.
 */
export const MAX_DEPTH = 256

const WHITESPACE = new Set([' ', '\t', '\n', '\r'])
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

export function parseLocated(source: string): LocatedJson {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source
  const newlines: number[] = []
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines.push(i)
  const lineAt = (pos: number): number => {
    let lo = 0
    let hi = newlines.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (newlines[mid]! < pos) lo = mid + 1
      else hi = mid
    }
    return lo + 1
  }
  const lines = new WeakMap<object, Map<string | number, number>>()
  const own = new WeakMap<object, number>()
  let at = 0
  let depth = 0

  const fail = (message: string, pos = at): never => {
    throw new JsonSyntaxError(message, lineAt(Math.min(pos, text.length)))
  }
  const skip = (): void => {
    while (at < text.length && WHITESPACE.has(text[at]!)) at++
  }
  const describe = (): string => {
    if (at >= text.length) return 'the end of the file'
    const code = text.charCodeAt(at)
    // A control character would break the one line the message is.
    return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : `'${text[at]}'`
  }
  const expect = (char: string, what: string): void => {
    skip()
    if (text[at] !== char) fail(`expected ${what}, found ${describe()}`)
    at++
  }

  const string = (): string => {
    const start = at
    at++
    while (at < text.length && text[at] !== '"') {
      if (text[at] === '\n') fail('a string is not closed on its line', start)
      at += text[at] === '\\' ? 2 : 1
    }
    if (at >= text.length) fail('a string is not closed', start)
    at++
    try {
      return JSON.parse(text.slice(start, at)) as string
    } catch {
      return fail('a string holds an invalid escape', start)
    }
  }

  const value = (): unknown => {
    skip()
    const c = text[at]
    if (c !== '{' && c !== '[') return scalar()
    if (++depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`)
    const container = c === '{' ? parseObject() : parseArray()
    depth--
    return container
  }

  const parseObject = (): Record<string, unknown> => {
    let comma = at
    // No prototype: a key "__proto__" is an own property like any other, never the prototype.
    const object: Record<string, unknown> = Object.create(null)
    const members = new Map<string | number, number>()
    own.set(object, lineAt(at))
    lines.set(object, members)
    at++
    skip()
    if (text[at] === '}') {
      at++
      return object
    }
    for (;;) {
      skip()
      if (text[at] === '}' && members.size) fail('a comma before "}" (JSON allows no trailing comma)', comma)
      if (text[at] !== '"') fail(`expected a property name in double quotes, found ${describe()}`)
      const keyAt = at
      const key = string()
      expect(':', `":" after ${JSON.stringify(key)}`)
      if (members.has(key)) fail(`${JSON.stringify(key)} appears twice`, keyAt)
      members.set(key, lineAt(keyAt))
      Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true })
      skip()
      if (text[at] === ',') {
        comma = at++
        continue
      }
      if (text[at] === '}') {
        at++
        return object
      }
      fail(`expected "," or "}" after the value of ${JSON.stringify(key)}, found ${describe()}`)
    }
  }

  const parseArray = (): unknown[] => {
    let comma = at
    const array: unknown[] = []
    const members = new Map<string | number, number>()
    own.set(array, lineAt(at))
    lines.set(array, members)
    at++
    skip()
    if (text[at] === ']') {
      at++
      return array
    }
    for (;;) {
      skip()
      if (text[at] === ']' && array.length) fail('a comma before "]" (JSON allows no trailing comma)', comma)
      members.set(array.length, lineAt(at))
      array.push(value())
      skip()
      if (text[at] === ',') {
        comma = at++
        continue
      }
      if (text[at] === ']') {
        at++
        return array
      }
      fail(`expected "," or "]" after an item, found ${describe()}`)
    }
  }

  const scalar = (): unknown => {
    if (text[at] === '"') return string()
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length
        return v
      }
    }
    NUMBER.lastIndex = at
    const number = NUMBER.exec(text)
    if (number) {
      at += number[0].length
      return Number(number[0])
    }
    return fail(`expected a value, found ${describe()}`)
  }

  const result = value()
  skip()
  if (at < text.length) fail(`unexpected ${describe()} after the end of the JSON value`)
  return {
    value: result,
    lineOf(container, key) {
      if (key === undefined) return own.get(container) ?? 1
      return lines.get(container)?.get(key) ?? own.get(container) ?? 1
    },
  }
}
