// `fix --all` merges patches by position: edits to one file that touch different lines combine,
// the same change twice counts once, and two changes at the same place are refused with why.
import { describe, expect, test } from 'vitest'
import { mergeEdits } from '../../src/fix/merge.js'

const FILE = [
  'import { describe, test } from "vitest"',
  '',
  "describe('a', () => {",
  "  test('x', () => {})",
  '})',
  "describe('b', () => {",
  "  test('y', () => {})",
  '})',
  '',
].join('\n')

/** FILE with `line` inserted after line `at` (0-based), and the import extended when `imports`. */
function withHook(at: number, line: string, imports = false): string {
  const lines = FILE.split('\n')
  lines.splice(at + 1, 0, line)
  if (imports) lines[0] = 'import { afterEach, describe, test } from "vitest"'
  return lines.join('\n')
}

describe('mergeEdits', () => {
  test('two patches to different lines of one file combine, with the import both extend alike counted once', () => {
    const a = { name: 'A', edits: [{ path: 'f.ts', before: FILE, after: withHook(2, '  afterEach(() => undo1())', true) }] }
    const b = { name: 'B', edits: [{ path: 'f.ts', before: FILE, after: withHook(5, '  afterEach(() => undo2())', true) }] }
    const merged = mergeEdits([a, b])
    expect(merged).toEqual({
      edits: [
        {
          path: 'f.ts',
          before: FILE,
          after: [
            'import { afterEach, describe, test } from "vitest"',
            '',
            "describe('a', () => {",
            '  afterEach(() => undo1())',
            "  test('x', () => {})",
            '})',
            "describe('b', () => {",
            '  afterEach(() => undo2())',
            "  test('y', () => {})",
            '})',
            '',
          ].join('\n'),
        },
      ],
    })
  })

  test('edits to different files are kept apart, in the order the files first appear; an unchanged edit is dropped', () => {
    const merged = mergeEdits([
      { name: 'A', edits: [{ path: 'b.ts', before: 'x\n', after: 'y\n' }] },
      {
        name: 'B',
        edits: [
          { path: 'a.ts', before: 'p\n', after: 'q\n' },
          { path: 'c.ts', before: 'same\n', after: 'same\n' },
        ],
      },
    ])
    expect(merged).toEqual({
      edits: [
        { path: 'b.ts', before: 'x\n', after: 'y\n' },
        { path: 'a.ts', before: 'p\n', after: 'q\n' },
      ],
    })
  })

  test('two different changes at the same place are refused, naming both patches, the file and the line', () => {
    const a = { name: 'A', edits: [{ path: 'f.ts', before: FILE, after: withHook(2, '  afterEach(() => undo1())') }] }
    const b = { name: 'B', edits: [{ path: 'f.ts', before: FILE, after: withHook(2, '  afterEach(() => undo2())') }] }
    expect(mergeEdits([a, b])).toEqual({ conflict: 'the patches for A and B both change f.ts at line 4; apply them one at a time' })
    // The import extended differently by each patch clashes too.
    const c = { name: 'C', edits: [{ path: 'f.ts', before: FILE, after: FILE.replace('{ describe', '{ afterEach, describe') }] }
    const d = { name: 'D', edits: [{ path: 'f.ts', before: FILE, after: FILE.replace('{ describe', '{ beforeEach, describe') }] }
    expect(mergeEdits([c, d])).toMatchObject({ conflict: expect.stringContaining('f.ts at line 1') })
  })

  test('patches written against different bytes of one file are refused', () => {
    const merged = mergeEdits([
      { name: 'A', edits: [{ path: 'f.ts', before: 'x\n', after: 'y\n' }] },
      { name: 'B', edits: [{ path: 'f.ts', before: 'x\n\n', after: 'z\n' }] },
    ])
    expect(merged).toEqual({ conflict: 'the patches for A and B were written against different versions of f.ts' })
  })
})
