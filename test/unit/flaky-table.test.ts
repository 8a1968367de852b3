// What `flaky` prints for each row (cli/flaky.ts `formatTable`) and the name helpers under it
// (cli/common.ts): long ids keep what tells them apart, and lines follow the width given.
import { describe, expect, test } from 'vitest'
import { analyse, type RunOutcome } from '../../src/analysis/flakiness.js'
import { outputWidth, shortId, wrap } from '../../cli/common.js'
import { formatTable } from '../../cli/flaky.js'

const FILE = 'packages/core/src/__tests__/prototypes/array-prototypes.test.ts'
const NAME = 'Array prototype helpers > returns an array of the mapped values when given a callback'
const ONE = `core:${FILE} > ${NAME}`
const TWO = `${ONE} (2)`

function outcomes(): RunOutcome[] {
  return [1, 2, 3, 4, 5, 6].map((run) => ({ run, seed: String(run), commit: 'c', order: `o${run}`, state: run % 2 ? 'failed' : 'passed' }))
}

describe('shortId', () => {
  test('keeps the whole id when it fits; else drops folders, then the file, then the start of the name', () => {
    expect(shortId('a.test.ts > t', 80)).toBe('a.test.ts > t')
    expect(shortId(ONE, 120)).toBe(`…/array-prototypes.test.ts > ${NAME}`)
    expect(shortId(ONE, 100)).toBe(`… > ${NAME}`)
    expect(shortId(TWO, 40)).toBe(`…${TWO.slice(TWO.length - 39)}`)
    expect(shortId(TWO, 40).endsWith('callback (2)')).toBe(true)
  })
})

describe('wrap', () => {
  test('breaks at spaces within the width, never inside a word', () => {
    expect(wrap('polluted by a > b (2)', 14, '  ')).toEqual(['  polluted by', '  a > b (2)'])
    expect(wrap('x', 1, '  ')).toEqual(['  x'])
  })
})

describe('outputWidth', () => {
  test('the terminal, else COLUMNS, else 80', () => {
    const before = process.env.COLUMNS
    try {
      delete process.env.COLUMNS
      expect(outputWidth({ isTTY: true, columns: 132 })).toBe(132)
      expect(outputWidth({ isTTY: false, columns: 132 })).toBe(80)
      process.env.COLUMNS = '100'
      expect(outputWidth({})).toBe(100)
    } finally {
      if (before === undefined) delete process.env.COLUMNS
      else process.env.COLUMNS = before
    }
  })
})

describe('formatTable', () => {
  test('two ids differing only by " (2)" read apart in 80 columns, in rows and in reasons', () => {
    const finding = (polluter: string) => ({ kind: 'victim' as const, polluters: [polluter], stateSetters: [], command: null })
    const rows = analyse(
      [
        { test: ONE, outcomes: outcomes(), finding: finding(TWO) },
        { test: TWO, outcomes: outcomes().map((o) => ({ ...o, order: `p${o.run}` })), finding: finding(ONE) },
      ],
      { minRuns: 5 },
    )
    const text = formatTable(rows, { width: 80 })
    const lines = text.split('\n')
    // Only what is there to be copied stays whole past the width: the next command, and an id given whole.
    for (const line of lines.filter((l) => !l.includes('next: ') && l.trim() !== ONE && l.trim() !== TWO)) {
      expect(line.length, line).toBeLessThanOrEqual(80)
    }
    // Each row's test cell ends with its own title, so the two rows differ where the ids differ.
    const cells = lines.filter((l) => /^\d+\/\d+ /.test(l))
    expect(cells).toHaveLength(2)
    expect(cells[0]!.endsWith('a callback')).toBe(true)
    expect(cells[1]!.endsWith('a callback (2)')).toBe(true)
    // The reason names the polluter whole (wrapped, not cut): " (2)" is there to be read.
    const text1 = lines.join(' ').replace(/\s+/g, ' ')
    expect(text1).toContain(`polluted by ${TWO} `)
    expect(text1).toContain(`polluted by ${ONE} `)
  })
})
