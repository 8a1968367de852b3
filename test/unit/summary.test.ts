// The run's known-flake block (reporter/summary.ts): what it prints for the failures the history
// already knows, from plain notes.
import { describe, expect, test } from 'vitest'
import type { FailureNote } from '../../src/history/failures.js'
import { consoleSummary } from '../../reporter/summary.js'

const note = (test: string, cls: FailureNote['class'], command: string | null): FailureNote => ({ test, class: cls, reason: 'why', error: null, command })

describe('consoleSummary', () => {
  test('next: lines sit a little under their failure, not under the widest label', () => {
    const lines = consoleSummary([
      note('a.test.ts > new one', 'new', null),
      note('b.test.ts > victim', 'suspected-order-dependent', "npx flakeseed bisect 8 --test 'b.test.ts > victim'"),
    ])
    expect(lines).toEqual([
      'flakeseed 2 failed: 1 new, 1 known suspected-order-dependent (why)',
      '  new                              a.test.ts > new one',
      '  known suspected-order-dependent  b.test.ts > victim',
      "    next: npx flakeseed bisect 8 --test 'b.test.ts > victim'",
    ])
  })
})
