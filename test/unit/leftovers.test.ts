// The files a recorded run's tests left (src/run/leftovers.ts): which are stored, and how a
// bisect moves them aside and puts them back, leaving the user's files and edits alone.
import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, expect, test } from 'vitest'
import { asideLines, changedLines, changedNote, leftFiles, moveAside, newestLeft } from '../../src/run/leftovers.js'
import { treeHash } from '../helpers/files.js'

let dirs: string[] = []
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs = []
})

function folder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
}

test('stored: the noted files still there, in the project; never snapshots, sources, node_modules, folders, or paths outside it', () => {
  const root = folder('flakeseed-left-root-')
  const notes = folder('flakeseed-left-notes-')
  write(root, { 'out/report.txt': 'r', 'a.txt': 'aa', 'test/__snapshots__/a.test.ts.snap': 's', 'gen.ts': 'x', 'node_modules/.cache/x': 'x' })
  const noted = ['out', 'out/report.txt', 'a.txt', 'gone.txt', 'test/__snapshots__/a.test.ts.snap', 'gen.ts', 'node_modules/.cache/x'].map((p) => join(root, p))
  writeFileSync(join(notes, 'w1'), `${[...noted, join(tmpdir(), 'elsewhere.txt')].join('\n')}\n`)
  writeFileSync(join(notes, 'w2'), `${join(root, 'a.txt')}\n`)
  const files = leftFiles(notes, root)
  expect(files.map((f) => [f.path, f.size])).toEqual([
    ['a.txt', 2],
    ['out/report.txt', 1],
  ])
  expect(files.every((f) => f.mtimeMs > 0)).toBe(true)
})

test('moved aside: only the files unchanged since the run; put back byte for byte, once, the tree as it was', () => {
  const root = folder('flakeseed-left-root-')
  const notes = folder('flakeseed-left-notes-')
  write(root, { 'leftover.txt': 'x', 'out/report.txt': 'r', 'edited.txt': 'run' })
  writeFileSync(join(notes, 'w1'), `${['leftover.txt', 'out/report.txt', 'edited.txt'].map((p) => join(root, p)).join('\n')}\n`)
  const files = leftFiles(notes, root)
  // The user edits one after the run: it is theirs now.
  appendFileSync(join(root, 'edited.txt'), ' and the user')
  const before = treeHash({ dir: root })
  const aside = moveAside(root, files)
  expect([...aside.moved].sort()).toEqual(['leftover.txt', 'out/report.txt'])
  expect(existsSync(join(root, 'leftover.txt'))).toBe(false)
  expect(existsSync(join(root, 'out/report.txt'))).toBe(false)
  expect(readFileSync(join(root, 'edited.txt'), 'utf8')).toBe('run and the user')
  // A probe's polluter writes it again; the probe puts that back (removes it) before the end.
  expect(aside.putBack()).toEqual([])
  expect(aside.putBack()).toEqual([])
  expect(treeHash({ dir: root })).toBe(before)
})

test('a file made at a moved path meanwhile is kept; the run’s copy stays aside, and the line says where', () => {
  const root = folder('flakeseed-left-root-')
  const notes = folder('flakeseed-left-notes-')
  write(root, { 'leftover.txt': 'from the run' })
  writeFileSync(join(notes, 'w1'), `${join(root, 'leftover.txt')}\n`)
  const aside = moveAside(root, leftFiles(notes, root))
  writeFileSync(join(root, 'leftover.txt'), 'the user’s')
  const kept = aside.putBack()
  expect(kept.map((k) => k.path)).toEqual(['leftover.txt'])
  dirs.push(join(kept[0]!.aside, '..'))
  expect(readFileSync(join(root, 'leftover.txt'), 'utf8')).toBe('the user’s')
  expect(readFileSync(kept[0]!.aside, 'utf8')).toBe('from the run')
  expect(asideLines(aside.moved, kept)).toEqual([
    "moved aside while the probes run, put back at the end: leftover.txt (the recorded run's tests created it)",
    `leftover.txt: a file was made there while the probes ran; it is kept, and the recorded run's is at ${kept[0]!.aside}`,
  ])
})

test('a process that exits while they are aside (a second Ctrl-C) puts them back on its way out', () => {
  const root = folder('flakeseed-left-root-')
  write(root, { 'leftover.txt': 'x' })
  const before = treeHash({ dir: root })
  const stat = statSync(join(root, 'leftover.txt'))
  const module = pathToFileURL(resolve('dist/src/run/leftovers.js')).href
  const script = `
    import { existsSync } from 'node:fs'
    import { moveAside } from ${JSON.stringify(module)}
    const aside = moveAside(${JSON.stringify(root)}, [{ path: 'leftover.txt', size: ${stat.size}, mtimeMs: ${stat.mtimeMs} }])
    if (aside.moved.length !== 1 || existsSync(${JSON.stringify(join(root, 'leftover.txt'))})) process.exit(3)
    process.exit(130)
  `
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script])
  expect(child.status, String(child.stderr)).toBe(130)
  expect(treeHash({ dir: root })).toBe(before)
  expect(statSync(join(root, 'leftover.txt')).mtimeMs).toBe(stat.mtimeMs)
})

test('what later runs left: the newest record of a path wins; moved as that run left it; one changed since is named and stays', () => {
  const root = folder('flakeseed-left-root-')
  write(root, { 'out.json': 'run 7', 'a.txt': 'run 6', 'edited.txt': 'run 7 and the user' })
  const stat = (path: string) => ({ path, size: statSync(join(root, path)).size, mtimeMs: statSync(join(root, path)).mtimeMs })
  const left = newestLeft([
    // Run 6 left out.json and edited.txt as they were then; run 7 (a replay) rewrote both.
    { run: 6, files: [{ path: 'out.json', size: 5, mtimeMs: 1 }, stat('a.txt'), { path: 'edited.txt', size: 1, mtimeMs: 1 }] },
    { run: 7, files: [stat('out.json'), { path: 'edited.txt', size: 5, mtimeMs: 2 }] },
  ])
  expect(left.map((f) => [f.path, f.run])).toEqual([
    ['a.txt', 6],
    ['edited.txt', 7],
    ['out.json', 7],
  ])
  const before = treeHash({ dir: root })
  const aside = moveAside(root, left)
  expect([...aside.moved].sort()).toEqual(['a.txt', 'out.json'])
  expect(aside.runs).toEqual([6, 7])
  expect(aside.changed).toEqual([{ path: 'edited.txt', run: 7 }])
  expect(asideLines(aside.moved, [], { runs: aside.runs, target: 6 })).toEqual([
    'moved aside while the probes run, put back at the end: a.txt, out.json (the tests of runs 6 and 7 created them)',
  ])
  expect(asideLines(['out.json'], [], { runs: [6], target: 6 })[0]).toContain("(the recorded run's tests created it)")
  expect(changedLines(aside.changed)).toEqual([
    "edited.txt: left by run 7's tests, changed since: not moved aside (taken as yours); if a result depends on it, remove it and rerun",
  ])
  expect(changedNote(aside.changed)).toBe(
    "edited.txt (left by run 7's tests) changed since and was not moved aside: if the failure is about it, remove it and rerun",
  )
  expect(aside.putBack()).toEqual([])
  expect(treeHash({ dir: root })).toBe(before)
})

test('a file the tests rewrote is stored as left only where an earlier recorded run left it', () => {
  const root = folder('flakeseed-left-root-')
  const notes = folder('flakeseed-left-notes-')
  write(root, { 'out.json': 'rewritten', 'config.json': 'the user’s, rewritten' })
  writeFileSync(join(notes, 'w1.rewritten'), `${join(root, 'out.json')}\n${join(root, 'config.json')}\n`)
  expect(leftFiles(notes, root).map((f) => f.path)).toEqual([])
  expect(leftFiles(notes, root, () => new Set(['out.json'])).map((f) => f.path)).toEqual(['out.json'])
})

test('Ctrl-C while they are aside (a command without its own handling) puts them back and exits 130', () => {
  const root = folder('flakeseed-left-root-')
  write(root, { 'leftover.txt': 'x' })
  const before = treeHash({ dir: root })
  const stat = statSync(join(root, 'leftover.txt'))
  const module = pathToFileURL(resolve('dist/src/run/leftovers.js')).href
  const script = `
    import { existsSync } from 'node:fs'
    import { moveAside } from ${JSON.stringify(module)}
    const aside = moveAside(${JSON.stringify(root)}, [{ path: 'leftover.txt', size: ${stat.size}, mtimeMs: ${stat.mtimeMs} }], { signals: true })
    if (aside.moved.length !== 1 || existsSync(${JSON.stringify(join(root, 'leftover.txt'))})) process.exit(3)
    process.kill(process.pid, 'SIGINT')
    setTimeout(() => process.exit(4), 5000)
  `
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script])
  expect(child.status, String(child.stderr)).toBe(130)
  expect(treeHash({ dir: root })).toBe(before)
})
