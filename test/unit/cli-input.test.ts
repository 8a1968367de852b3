// What the CLI makes of what a user types before any command runs: dates, test ids that start
// with `-`, and how it shows control characters in tables.
import { Command } from 'commander'
import { describe, expect, test } from 'vitest'
import { dashedArgument, parseSince } from '../../cli/common.js'
import { visible } from '../../src/core/format.js'

describe('--since', () => {
  test('a date that exists, or an ISO date-time', () => {
    expect(parseSince('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
    expect(parseSince('2024-03-01T12:30:00Z')).toBe(Date.UTC(2024, 2, 1, 12, 30))
  })

  test('an impossible calendar date is refused, not rolled over into the next month', () => {
    for (const value of ['2024-02-30', '2023-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-02-30T10:00:00Z', 'yesterday', '']) {
      expect(() => parseSince(value), value).toThrow(/is not a date/)
    }
  })
})

describe('an argument that starts with -', () => {
  const history = new Command('history').argument('<test>').option('--limit <n>').option('--db <path>').option('--json')

  test('is moved after -- when it is the only argument', () => {
    expect(dashedArgument(history, ['-dash.test.ts > victim'])).toEqual(['--', '-dash.test.ts > victim'])
    expect(dashedArgument(history, ['-dash.test.ts > victim', '--limit', '5', '--json'])).toEqual(['--limit', '5', '--json', '--', '-dash.test.ts > victim'])
    expect(dashedArgument(history, ['--db=x.db', '-x'])).toEqual(['--db=x.db', '--', '-x'])
  })

  test('is left alone next to another argument (a mistyped option), after --, or as an option value', () => {
    expect(dashedArgument(history, ['victim', '--limt', '5'])).toEqual(['victim', '--limt', '5'])
    expect(dashedArgument(history, ['--', '-x'])).toEqual(['--', '-x'])
    expect(dashedArgument(history, ['--db', '-x.db', 'victim'])).toEqual(['--db', '-x.db', 'victim'])
    expect(dashedArgument(history, ['--json'])).toEqual(['--json'])
  })
})

describe('visible', () => {
  test('control characters become escapes; everything else is kept', () => {
    expect(visible('a\nb\r\tc\u001b[31m\u007f')).toBe('a\\nb\\r\\tc\\x1b[31m\\x7f')
    expect(visible('ünï 測試 🎲 > $(x)')).toBe('ünï 測試 🎲 > $(x)')
  })
})
