// The quarantine file: what it accepts, the one line (with file and line) for what it does not,
// expiry, and the plugin's `quarantine` option.
import { describe, expect, test } from 'vitest'
import { quarantineLines } from '../../reporter/quarantine.js'
import { MAX_DEPTH, parseLocated } from '../../src/core/located-json.js'
import { matchesPattern } from '../../src/core/names.js'
import { resolveOptions } from '../../src/plugin/options.js'
import { formatQuarantine, isDate, isExpired, parseQuarantineFile, QuarantineFileError, today } from '../../src/quarantine/file.js'

const FILE = '.flakeseed/quarantine.json'

/** The message of the error `text` gives, or 'no error'. */
function problem(text: string): string {
  try {
    parseQuarantineFile(text, FILE)
    return 'no error'
  } catch (error) {
    expect(error).toBeInstanceOf(QuarantineFileError)
    return (error as Error).message
  }
}

describe('the quarantine file', () => {
  test('reads entries with their line, exact ids and parts of ids, and writes them back in a fixed order', () => {
    const text = [
      '{',
      '  "tests": [',
      '    { "test": "test/a.test.ts > flaky", "reason": "#12", "added": "2026-12-01", "by": "ann", "until": "2027-01-31" },',
      '    {',
      '      "reason": "network",',
      '      "contains": "api >"',
      '    }',
      '  ]',
      '}',
    ].join('\n')
    const entries = parseQuarantineFile(text, FILE)
    expect(entries).toEqual([
      { test: 'test/a.test.ts > flaky', reason: '#12', added: '2026-12-01', by: 'ann', until: '2027-01-31', line: 3 },
      { contains: 'api >', reason: 'network', line: 4 },
    ])
    const written = formatQuarantine(entries)
    expect(written).toContain('"contains": "api >",\n      "reason": "network"')
    expect(parseQuarantineFile(written, FILE).map(({ line: _, ...e }) => e)).toEqual(entries.map(({ line: _, ...e }) => e))
    expect(parseQuarantineFile('{ "tests": [] }', FILE)).toEqual([])
  })

  test('anything else is one line naming the file and the line of the mistake', () => {
    const entry = (fields: string) => `{\n  "tests": [\n    {\n${fields}\n    }\n  ]\n}`
    expect(problem(entry('      "test": "a",\n      "reason": "r",\n      "until": "2026-13-01"'))).toBe(
      `flakeseed: ${FILE}:6: "until" must be a date YYYY-MM-DD, got "2026-13-01"`,
    )
    expect(problem(entry('      "test": "a",\n      "reason": "r",\n      "added": "yesterday"'))).toBe(
      `flakeseed: ${FILE}:6: "added" must be a date YYYY-MM-DD, got "yesterday"`,
    )
    expect(problem(entry('      "test": "a",\n      "reason": "r",\n      "util": "2027-01-01"'))).toMatch(
      new RegExp(`^flakeseed: ${FILE}:6: unknown field "util" \\(an entry has "test", "contains", "reason", "added", "by", "until"\\)$`),
    )
    expect(problem(entry('      "test": "a"'))).toBe(`flakeseed: ${FILE}:3: every entry needs a "reason"`)
    expect(problem(entry('      "test": "a",\n      "contains": "b",\n      "reason": "r"'))).toBe(
      `flakeseed: ${FILE}:3: an entry needs exactly one of "test" (an exact test id) and "contains" (a part of test ids)`,
    )
    expect(problem(entry('      "contains": "",\n      "reason": "r"'))).toBe(`flakeseed: ${FILE}:4: the test id must not be empty`)
    expect(problem(entry('      "test": 7,\n      "reason": "r"'))).toBe(`flakeseed: ${FILE}:4: "test" must be a string, got 7`)
    expect(problem('{\n  "tests": [\n    { "test": "a", "reason": "r" },\n  ]\n}')).toBe(
      `flakeseed: ${FILE}:3: not valid JSON: a comma before "]" (JSON allows no trailing comma)`,
    )
    expect(problem('{\n  "tests": [\n    { "test": "a" "reason": "r" }\n  ]\n}')).toBe(
      `flakeseed: ${FILE}:3: not valid JSON: expected "," or "}" after the value of "test", found '"'`,
    )
    expect(problem('{\n  "tests": [\n')).toBe(`flakeseed: ${FILE}:3: not valid JSON: expected a value, found the end of the file`)
    expect(problem('{ "tests": [], "tests": [] }')).toBe(`flakeseed: ${FILE}:1: not valid JSON: "tests" appears twice`)
    expect(problem('[]')).toBe(`flakeseed: ${FILE}:1: must hold an object: { "tests": [ … ] }`)
    expect(problem('{\n  "test": []\n}')).toBe(`flakeseed: ${FILE}:2: unknown field "test" (the file holds only "tests")`)
    expect(problem('{\n  "tests": {}\n}')).toBe(`flakeseed: ${FILE}:2: "tests" must be a list of entries: [ { "test": …, "reason": … } ]`)
    expect(problem('\ufeff{ "tests": [ { "test": "a", "reason": "r" } ] }')).toBe('no error') // a BOM from an editor
  })

  test('a file nested 200,000 deep is one line naming the file and the line where it goes too deep', () => {
    const deep = `{\n  "tests":\n    ${'['.repeat(200_000)}${']'.repeat(200_000)}\n}`
    expect(problem(deep)).toBe(`flakeseed: ${FILE}:3: not valid JSON: nested deeper than ${MAX_DEPTH} levels`)
    // As deep as the bound allows still parses.
    const most = `${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`
    expect(() => parseLocated(most)).not.toThrow()
    expect(() => parseLocated(`[${most}]`)).toThrow(`nested deeper than ${MAX_DEPTH} levels`)
  })

  test('"__proto__" is a key like any other: refused as an unknown field, never the prototype of an entry', () => {
    const parsed = parseLocated('{ "__proto__": { "contains": "q" }, "a": 1 }').value as Record<string, unknown>
    expect(Object.keys(parsed)).toEqual(['__proto__', 'a'])
    expect(Object.getPrototypeOf(parsed)).toBe(null)
    expect((parsed as { contains?: string }).contains).toBeUndefined()
    expect(({} as { contains?: string }).contains).toBeUndefined() // Object.prototype untouched
    expect(problem('{"tests":[{"__proto__":{"contains":"q"},"reason":"r"}]}')).toBe(
      `flakeseed: ${FILE}:1: unknown field "__proto__" (an entry has "test", "contains", "reason", "added", "by", "until")`,
    )
    expect(problem('{\n  "tests": [],\n  "__proto__": { "tests": [] }\n}')).toBe(
      `flakeseed: ${FILE}:3: unknown field "__proto__" (the file holds only "tests")`,
    )
    // A key holding a newline or an escape stays on the one line.
    expect(problem('{ "tests": [ { "test": "a", "reason": "r", "x\\ny\\u001b": "z" } ] }')).toBe(
      `flakeseed: ${FILE}:1: unknown field "x\\ny\\u001b" (an entry has "test", "contains", "reason", "added", "by", "until")`,
    )
    expect(problem('{ "tests": \u0007 }')).toBe(`flakeseed: ${FILE}:1: not valid JSON: expected a value, found \\x07`)
  })

  test('dates: real days only; an entry applies through its until day and expires after it', () => {
    expect(isDate('2028-02-29')).toBe(true)
    expect(isDate('2027-02-29')).toBe(false)
    expect(isDate('2027-1-5')).toBe(false)
    const entry = { test: 'a', reason: 'r', until: '2027-01-31' }
    expect(isExpired(entry, '2027-01-31')).toBe(false)
    expect(isExpired(entry, '2027-02-01')).toBe(true)
    expect(isExpired({ test: 'a', reason: 'r' }, '2999-01-01')).toBe(false)
    expect(today(new Date(2027, 0, 5, 23, 59))).toBe('2027-01-05') // local time, where the tests run
  })

  test('an exact id names one test; a part names every test containing it', () => {
    expect(matchesPattern({ test: 'f > t' }, 'f > t')).toBe(true)
    expect(matchesPattern({ test: 'f > t' }, 'f > t (2)')).toBe(false)
    expect(matchesPattern({ contains: '> t' }, 'f > t (2)')).toBe(true)
    expect(matchesPattern({ contains: '' }, 'f > t')).toBe(false)
  })
})

describe('the quarantine option', () => {
  test('a path, false, or { file, auto } with flaky classes only', () => {
    expect(resolveOptions({}).quarantine).toEqual({ file: '.flakeseed/quarantine.json', auto: [] })
    expect(resolveOptions({ quarantine: 'q.json' }).quarantine).toEqual({ file: 'q.json', auto: [] })
    expect(resolveOptions({ quarantine: false }).quarantine).toEqual({ file: false, auto: [] })
    expect(resolveOptions({ quarantine: { auto: ['non-deterministic', 'order-dependent'] } }).quarantine).toEqual({
      file: '.flakeseed/quarantine.json',
      auto: ['non-deterministic', 'order-dependent'],
    })
    expect(() => resolveOptions({ quarantine: { auto: ['broken'] } })).toThrow(
      'flakeseed: option "quarantine.auto" cannot hold "broken" (it takes flaky classes: order-dependent, suspected-order-dependent, non-deterministic)',
    )
    expect(() => resolveOptions({ quarantine: { auto: 'order-dependent' } })).toThrow('option "quarantine.auto" must be a list of classes')
    expect(() => resolveOptions({ quarantine: { files: 'q.json' } })).toThrow('flakeseed: unknown option "quarantine.files" (known: file, auto)')
    expect(() => resolveOptions({ quarantine: 3 })).toThrow('flakeseed: option "quarantine" must be a file path or false, got number 3')
  })
})

describe("the run's quarantine block", () => {
  test('newlines and control characters in ids, reasons and errors are shown escaped, one line each', () => {
    const lines = quarantineLines([
      { test: 'test/a.test.ts > two\nlines', reason: 'see\n#12\x1b[2J', state: 'failed', error: 'boom\r' },
      { test: 'test/a.test.ts > fine', reason: 'r', state: 'passed', error: null },
    ])
    expect(lines).toEqual([
      'flakeseed quarantine: 2 quarantined tests ran, 1 failed, 1 passed (a quarantined failure does not fail the run)',
      '  quarantined  test/a.test.ts > two\\nlines  failed (see\\n#12\\x1b[2J)',
      '               boom\\r',
    ])
  })
})
