// From a recorded run to what replay and bisect run: type checks (tsc's results, recorded under
// `(typecheck)` projects) are never part of an order, and naming one says why.
import { describe, expect, test } from 'vitest'
import type { RecordedTest, TestState } from '../../src/core/model.js'
import { typecheckProject } from '../../src/core/names.js'
import { failedTypeChecks, recordedOrder, selectTests, typeChecksNote } from '../../src/run/selection.js'

const row = (project: string, file: string, name: string, state: TestState, fileIndex: number): RecordedTest => ({
  project,
  file,
  name,
  state,
  fileIndex,
  testIndex: 0,
  worker: null,
})

const results = [
  row('zod', 'a.test.ts', 'typed', 'failed', 0),
  row('zod', 'a.test.ts', 'skipped', 'skipped', 0),
  row(typecheckProject('zod'), 'a.test.ts', 'typed', 'failed', 1),
  row(typecheckProject('zod'), 'a.test.ts', 'fine', 'passed', 1),
]

describe('type checks in a recorded run', () => {
  test('the recorded order leaves out type checks and skipped tests', () => {
    expect(recordedOrder(results).map((r) => `${r.project}:${r.name}`)).toEqual(['zod:typed'])
  })

  test('a type check named for replay or bisect is refused with the reason; other misses as before', () => {
    const order = recordedOrder(results)
    expect(selectTests(order, ['typed']).map((r) => r.project)).toEqual(['zod'])
    expect(() => selectTests(order, ['zod (typecheck):a.test.ts > typed'])).toThrow(
      `flakeseed: "zod (typecheck):a.test.ts > typed" is a type check (tsc's): no order to replay or bisect`,
    )
    expect(() => selectTests(order, ['(typecheck):a.test.ts > typed'])).toThrow(/is a type check/)
    expect(() => selectTests(order, ['zod:b.test.ts > typed'])).toThrow('flakeseed: no test of the run matches "zod:b.test.ts > typed"')
  })

  test('failed type checks are counted and said once', () => {
    expect(failedTypeChecks(results)).toBe(1)
    expect(typeChecksNote(1)).toBe("1 failed type check (tsc's: no order to bisect)")
    expect(typeChecksNote(2)).toBe("2 failed type checks (tsc's: no order to bisect)")
    expect(typeChecksNote(0)).toBe('')
  })
})
