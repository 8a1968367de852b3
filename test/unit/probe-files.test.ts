// What bisect puts back after a probe (`ProbeFiles`): only what the probe's tests wrote; anyone
// else's edit keeps its bytes, and a source file that changes stops the bisect.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { ProbeFiles, ProjectChanged } from '../../src/run/probe-files.js'

let root: string
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), text)
}
const read = (path: string) => readFileSync(join(root, path), 'utf8')
const exists = (path: string) => existsSync(join(root, path))

/** A project with a source, a test, a data file the tests rewrite and a user's notes. */
function project(): ProbeFiles {
  root = mkdtempSync(join(tmpdir(), 'flakeseed-probe-files-'))
  write('src/app.ts', 'export const x = 1\n')
  write('test/app.test.ts', "import { x } from '../src/app'\n")
  write('data/state.json', '{"n":0}')
  write('notes/log.txt', 'line 1\n')
  return new ProbeFiles(root)
}

/** One probe: `during` is what happens while it runs (its tests' writes, a user's edits). */
function probe(files: ProbeFiles, during: () => void) {
  const before = files.beforeProbe()
  during()
  return files.afterProbe(before)
}

afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('ProbeFiles', () => {
  test("the first probe's writes are the tests': changed files, new files and new folders are put back", () => {
    const files = project()
    const result = probe(files, () => {
      write('data/state.json', '{"n":1}')
      write('data/extra.json', '{}')
      write('out/cart.json', '[1]')
    })
    expect(result).toMatchObject({ changed: 3, failed: [] })
    expect(read('data/state.json')).toBe('{"n":0}')
    expect(exists('data/extra.json')).toBe(false)
    expect(exists('out')).toBe(false)
  })

  test("later probes put back the tests' writes again, and keep everyone else's edits byte for byte", () => {
    const files = project()
    probe(files, () => {
      write('data/state.json', '{"n":1}')
      write('data/tmp-1.json', '{}')
      write('out/cart.json', '[1]')
    })
    probe(files, () => {
      // The tests again (a new file with a random name where they created one before)...
      write('data/state.json', '{"n":2}')
      write('data/tmp-2.json', '{}')
      write('out/cart.json', '[2]')
      // ...and the user, meanwhile.
      appendFileSync(join(root, 'notes/log.txt'), 'line 2\n')
      write('drafts/plan.md', '# plan\n')
      write('notes/todo.md', 'x\n')
    })
    expect(read('data/state.json')).toBe('{"n":0}')
    expect(exists('data/tmp-2.json')).toBe(false)
    expect(exists('out')).toBe(false)
    expect(read('notes/log.txt')).toBe('line 1\nline 2\n')
    expect(read('drafts/plan.md')).toBe('# plan\n')
    expect(read('notes/todo.md')).toBe('x\n')
  })

  test("a file the recorded run wrote is the tests': deleted by a later probe's setup, it is put back", () => {
    root = mkdtempSync(join(tmpdir(), 'flakeseed-probe-files-'))
    const ran = { from: Date.now() - 5000, to: Date.now() + 5000 }
    write('out/cart.json', '[1]')
    write('notes/log.txt', 'line 1\n')
    utimesSync(join(root, 'notes/log.txt'), new Date(2020, 0, 1), new Date(2020, 0, 1))
    const files = new ProbeFiles(root, [], [ran])
    // The first probe rewrites it with the same bytes: nothing to learn from it.
    probe(files, () => write('out/cart.json', '[1]'))
    probe(files, () => {
      rmSync(join(root, 'out'), { recursive: true })
      rmSync(join(root, 'notes/log.txt'))
    })
    expect(read('out/cart.json')).toBe('[1]')
    // An older file that goes is not the tests' to put back (a user deleted it).
    expect(exists('notes/log.txt')).toBe(false)
  })

  test('edits between probes are never touched', () => {
    const files = project()
    probe(files, () => write('data/state.json', '{"n":1}'))
    write('data/state.json', '{"n":"mine"}')
    write('drafts/plan.md', '# plan\n')
    probe(files, () => {})
    expect(read('data/state.json')).toBe('{"n":"mine"}')
    expect(read('drafts/plan.md')).toBe('# plan\n')
  })

  test('a source file changed between probes stops the next one, naming it; the edit stays', () => {
    const files = project()
    probe(files, () => {})
    probe(files, () => {})
    appendFileSync(join(root, 'src/app.ts'), 'export const y = 2\n')
    expect(() => files.beforeProbe()).toThrow(ProjectChanged)
    expect(() => files.beforeProbe()).toThrow('flakeseed: src/app.ts changed while bisect ran; results from two versions would be mixed: stopped after probe 2')
    expect(read('src/app.ts')).toBe('export const x = 1\nexport const y = 2\n')
  })

  test('a source file changed during a probe, even the first, is not put back: the probe stops the bisect', () => {
    const files = project()
    const before = files.beforeProbe()
    write('test/app.test.ts', '// edited\n')
    write('data/state.json', '{"n":1}')
    expect(() => files.afterProbe(before)).toThrow('flakeseed: test/app.test.ts changed while bisect ran')
    expect(read('test/app.test.ts')).toBe('// edited\n')
    // What else the probe changed is put back all the same.
    expect(read('data/state.json')).toBe('{"n":0}')
  })

  test('a source rewritten with the same bytes (a touch) is no change', () => {
    const files = project()
    write('src/app.ts', 'export const x = 1\n')
    expect(() => probe(files, () => {})).not.toThrow()
  })

  test('side by side (--jobs): the end puts back only the area the first probe wrote', () => {
    const files = project()
    probe(files, () => write('out/a.json', '1'))
    const start = files.beforeProbe()
    write('out/b.json', '2')
    write('drafts/plan.md', '# plan\n')
    files.putBack(start)
    expect(exists('out')).toBe(false)
    expect(read('drafts/plan.md')).toBe('# plan\n')
  })
})
