// What bisect puts back after a probe (`ProbeFiles`): only what the probe's tests wrote; anyone
// else's edit keeps its bytes, and a source file that changes stops the bisect.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { restoreFile, snapshotTree } from '../../src/diagnose/files.js'
import { ProbeFiles, ProjectChanged } from '../../src/run/probe-files.js'

/** The current test's project (project()); '' in a test that makes its own folder. */
let root = ''
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

/**
 * One probe: `during` is what happens while it runs (its tests' writes, a user's edits); `noted`
 * the paths its workers noted writing (src/worker/writes.ts), as they name them: absolute.
 */
function probe(files: ProbeFiles, during: () => void, noted: string[] = []) {
  const before = files.beforeProbe()
  during()
  return files.afterProbe(before, new Set(noted.map((path) => join(root, path))))
}

// Guarded: a test that makes its own folder can run first under a shuffled order, before any
// project() (rmSync(undefined) threw in its afterEach under some seeds: a dogfood failure).
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true })
  root = ''
})

describe('ProbeFiles', () => {
  test("what the workers noted writing is the tests': changed files, new files and new folders are put back", () => {
    const files = project()
    const result = probe(files, () => {
      write('data/state.json', '{"n":1}')
      write('data/extra.json', '{}')
      write('out/cart.json', '[1]')
    }, ['data/state.json', 'data/extra.json', 'out', 'out/cart.json'])
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
    }, ['data/state.json', 'data/tmp-1.json', 'out/cart.json'])
    // The workers of the next probe note nothing (their writes went through a child process): the
    // area the first probe's tests wrote is put back all the same.
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

  test("a file that was there before the bisect, deleted by a probe's setup (noted), is put back; one the user deletes stays deleted", () => {
    project()
    write('out/cart.json', '[1]')
    // The bisect starts now, with out/cart.json there.
    const files = new ProbeFiles(root)
    probe(files, () => {
      rmSync(join(root, 'out'), { recursive: true })
      rmSync(join(root, 'notes/log.txt'))
    }, ['out'])
    expect(read('out/cart.json')).toBe('[1]')
    expect(exists('notes/log.txt')).toBe(false)
  })

  test("a file written right after the recorded run is not the tests': a user's appends to it during probes stay", () => {
    const files = project()
    write('notes/new.txt', 'start\n')
    probe(files, () => appendFileSync(join(root, 'notes/new.txt'), 'line 1\n'))
    probe(files, () => appendFileSync(join(root, 'notes/new.txt'), 'line 2\n'))
    expect(read('notes/new.txt')).toBe('start\nline 1\nline 2\n')
  })

  test('edits between probes are never touched', () => {
    const files = project()
    probe(files, () => write('data/state.json', '{"n":1}'), ['data/state.json'])
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
    expect(() => files.afterProbe(before, new Set([join(root, 'data/state.json')]))).toThrow('flakeseed: test/app.test.ts changed while bisect ran')
    expect(read('test/app.test.ts')).toBe('// edited\n')
    // What else the probe changed is put back all the same.
    expect(read('data/state.json')).toBe('{"n":0}')
  })

  test('a source rewritten with the same bytes (a touch) is no change', () => {
    const files = project()
    write('src/app.ts', 'export const x = 1\n')
    expect(() => probe(files, () => {})).not.toThrow()
  })

  test('side by side (--jobs): the end puts back only what the probes noted and the area they wrote', () => {
    const files = project()
    probe(files, () => write('out/a.json', '1'), ['out/a.json'])
    const start = files.beforeProbe()
    write('out/b.json', '2')
    write('cache/c.json', '3')
    files.noteWrites(new Set([join(root, 'cache/c.json')]))
    write('drafts/plan.md', '# plan\n')
    files.putBack(start)
    expect(exists('out')).toBe(false)
    expect(exists('cache')).toBe(false)
    expect(read('drafts/plan.md')).toBe('# plan\n')
  })

  test("the first probe: a user's edits and new files while it runs keep their bytes; only what the workers noted goes back", () => {
    const files = project()
    probe(files, () => {
      write('data/state.json', '{"n":1}')
      appendFileSync(join(root, 'notes/log.txt'), 'line 2\n')
      write('drafts/plan.md', '# plan\n')
    }, ['data/state.json', '/elsewhere/outside-the-project.json'])
    expect(read('data/state.json')).toBe('{"n":0}')
    expect(read('notes/log.txt')).toBe('line 1\nline 2\n')
    expect(read('drafts/plan.md')).toBe('# plan\n')
    // And the next probe does not take the user's files for the tests' either.
    probe(files, () => appendFileSync(join(root, 'notes/log.txt'), 'line 3\n'))
    expect(read('notes/log.txt')).toBe('line 1\nline 2\nline 3\n')
  })
})

test('a file put back has its bytes and its mtime again (a file a recorded run left is known by its size and mtime)', () => {
  const root = mkdtempSync(join(tmpdir(), 'flakeseed-restore-'))
  try {
    writeFileSync(join(root, 'out.json'), '{"at":1}')
    utimesSync(join(root, 'out.json'), 1_700_000_000.123, 1_700_000_000.123)
    const before = snapshotTree(root, [])
    writeFileSync(join(root, 'out.json'), '{"at":22}')
    expect(restoreFile(before, 'out.json')).toBe(true)
    expect(readFileSync(join(root, 'out.json'), 'utf8')).toBe('{"at":1}')
    expect(Math.abs(statSync(join(root, 'out.json')).mtimeMs - 1_700_000_000_123)).toBeLessThan(1)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
