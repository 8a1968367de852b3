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
  const parser = new Parser(source.charCodeAt(0) === 0xfeff ? source.slice(1) : source)
  const value = parser.document()
  const { own, lines } = parser
  return {
    value,
    lineOf(container, key) {
      if (key === undefined) return own.get(container) ?? 1
      return lines.get(container)?.get(key) ?? own.get(container) ?? 1
    },
  }
}

/** A recursive descent over `text`, remembering the line of every container and member. */
class Parser {
  /** The line of each object or array. */
  readonly own = new WeakMap<object, number>()
  /** The line of each member of an object or array. */
  readonly lines = new WeakMap<object, Map<string | number, number>>()
  private readonly newlines: number[] = []
  private at = 0
  private depth = 0

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.newlines.push(i)
  }

  /** The one value the text holds, and nothing after it. */
  document(): unknown {
    const result = this.value()
    this.skip()
    if (this.at < this.text.length) this.fail(`unexpected ${this.describe()} after the end of the JSON value`)
    return result
  }

  private lineAt(pos: number): number {
    let lo = 0
    let hi = this.newlines.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.newlines[mid]! < pos) lo = mid + 1
      else hi = mid
    }
    return lo + 1
  }

  private fail(message: string, pos = this.at): never {
    throw new JsonSyntaxError(message, this.lineAt(Math.min(pos, this.text.length)))
  }

  private skip(): void {
    while (this.at < this.text.length && WHITESPACE.has(this.text[this.at]!)) this.at++
  }

  /** What is at the current position, for a message. */
  private describe(): string {
    const { text, at } = this
    if (at >= text.length) return 'the end of the file'
    const code = text.charCodeAt(at)
    // A control character would break the one line the message is.
    return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : `'${text[at]}'`
  }

  private expect(char: string, what: string): void {
    this.skip()
    if (this.text[this.at] !== char) this.fail(`expected ${what}, found ${this.describe()}`)
    this.at++
  }

  private string(): string {
    const { text } = this
    const start = this.at
    this.at++
    while (this.at < text.length && text[this.at] !== '"') {
      if (text[this.at] === '\n') this.fail('a string is not closed on its line', start)
      this.at += text[this.at] === '\\' ? 2 : 1
    }
    if (this.at >= text.length) this.fail('a string is not closed', start)
    this.at++
    try {
      return JSON.parse(text.slice(start, this.at)) as string
    } catch {
      return this.fail('a string holds an invalid escape', start)
    }
  }

  private value(): unknown {
    this.skip()
    const c = this.text[this.at]
    if (c !== '{' && c !== '[') return this.scalar()
    if (++this.depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`)
    const container = c === '{' ? this.object() : this.array()
    this.depth--
    return container
  }

  /** A new container at the current position, its line and its members' lines remembered; true when it is empty. */
  private open(container: object, close: string): { members: Map<string | number, number>; empty: boolean } {
    const members = new Map<string | number, number>()
    this.own.set(container, this.lineAt(this.at))
    this.lines.set(container, members)
    this.at++
    this.skip()
    const empty = this.text[this.at] === close
    if (empty) this.at++
    return { members, empty }
  }

  private object(): Record<string, unknown> {
    const { text } = this
    let comma = this.at
    // No prototype: a key "__proto__" is an own property like any other, never the prototype.
    const object: Record<string, unknown> = Object.create(null)
    const { members, empty } = this.open(object, '}')
    if (empty) return object
    for (;;) {
      this.skip()
      if (text[this.at] === '}' && members.size) this.fail('a comma before "}" (JSON allows no trailing comma)', comma)
      if (text[this.at] !== '"') this.fail(`expected a property name in double quotes, found ${this.describe()}`)
      const keyAt = this.at
      const key = this.string()
      this.expect(':', `":" after ${JSON.stringify(key)}`)
      if (members.has(key)) this.fail(`${JSON.stringify(key)} appears twice`, keyAt)
      members.set(key, this.lineAt(keyAt))
      Object.defineProperty(object, key, { value: this.value(), enumerable: true, writable: true, configurable: true })
      this.skip()
      if (text[this.at] === ',') {
        comma = this.at++
        continue
      }
      if (text[this.at] === '}') {
        this.at++
        return object
      }
      this.fail(`expected "," or "}" after the value of ${JSON.stringify(key)}, found ${this.describe()}`)
    }
  }

  private array(): unknown[] {
    const { text } = this
    let comma = this.at
    const array: unknown[] = []
    const { members, empty } = this.open(array, ']')
    if (empty) return array
    for (;;) {
      this.skip()
      if (text[this.at] === ']' && array.length) this.fail('a comma before "]" (JSON allows no trailing comma)', comma)
      members.set(array.length, this.lineAt(this.at))
      array.push(this.value())
      this.skip()
      if (text[this.at] === ',') {
        comma = this.at++
        continue
      }
      if (text[this.at] === ']') {
        this.at++
        return array
      }
      this.fail(`expected "," or "]" after an item, found ${this.describe()}`)
    }
  }

  private scalar(): unknown {
    const { text } = this
    if (text[this.at] === '"') return this.string()
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, this.at)) {
        this.at += word.length
        return v
      }
    }
    NUMBER.lastIndex = this.at
    const number = NUMBER.exec(text)
    if (number) {
      this.at += number[0].length
      return Number(number[0])
    }
    return this.fail(`expected a value, found ${this.describe()}`)
  }
}
