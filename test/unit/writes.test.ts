// What a probe's worker notes writing (src/worker/writes.ts), in a child process of its own (the
// notes replace `fs` functions for the whole process): every way Node's fs writes, reads left
// out, and the writes themselves unchanged.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, expect, test } from 'vitest'
import { readRewrites, readWrites } from '../../src/worker/writes.js'

const WRITES = pathToFileURL(resolve('dist/src/worker/writes.js')).href
let dirs: string[] = []
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs = []
})

test('sync, callback, promise and ESM-imported writes are noted; reads are not; the writes happen', () => {
  const work = mkdtempSync(join(tmpdir(), 'flakeseed-writes-work-'))
  const notes = mkdtempSync(join(tmpdir(), 'flakeseed-writes-notes-'))
  dirs.push(work, notes)
  const script = `
    import { trackWrites } from ${JSON.stringify(WRITES)}
    trackWrites(${JSON.stringify(notes)}, 'w1')
    const { writeFileSync, mkdirSync, readFileSync, existsSync } = await import('node:fs')
    const fs = (await import('node:fs')).default
    const { writeFile, rm } = await import('node:fs/promises')
    mkdirSync('out')
    writeFileSync('out/a.txt', 'a')
    readFileSync('out/a.txt')
    existsSync('never-written.txt')
    await new Promise((done) => fs.appendFile('b.txt', 'b', done))
    await writeFile(new URL('c.txt', 'file://' + process.cwd() + '/'), 'c')
    fs.renameSync('b.txt', 'b2.txt')
    fs.closeSync(fs.openSync('d.txt', 'w'))
    fs.closeSync(fs.openSync('out/a.txt', 'r'))
    await new Promise((done) => fs.createWriteStream('e.txt').end('e', done))
    fs.copyFileSync('out/a.txt', 'f.txt')
    await rm('c.txt')
  `
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: work })
  const noted = [...readWrites(notes)].map((path) => path.slice(work.length + 1)).sort()
  expect(noted).toEqual(['b.txt', 'b2.txt', 'c.txt', 'd.txt', 'e.txt', 'f.txt', 'out', 'out/a.txt'])
  expect(readFileSync(join(work, 'b2.txt'), 'utf8')).toBe('b')
  expect(readFileSync(join(work, 'f.txt'), 'utf8')).toBe('a')
})

test('a later probe in the same process notes into its own folder', () => {
  const work = mkdtempSync(join(tmpdir(), 'flakeseed-writes-work-'))
  const first = mkdtempSync(join(tmpdir(), 'flakeseed-writes-notes-'))
  const second = mkdtempSync(join(tmpdir(), 'flakeseed-writes-notes-'))
  dirs.push(work, first, second)
  const script = `
    import { trackWrites } from ${JSON.stringify(WRITES)}
    import { writeFileSync } from 'node:fs'
    trackWrites(${JSON.stringify(first)}, 'w1')
    writeFileSync('one.txt', '1')
    trackWrites(${JSON.stringify(second)}, 'w1')
    writeFileSync('one.txt', '1')
    writeFileSync('two.txt', '2')
  `
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: work })
  expect([...readWrites(first)].map((p) => p.slice(work.length + 1))).toEqual(['one.txt'])
  expect([...readWrites(second)].map((p) => p.slice(work.length + 1)).sort()).toEqual(['one.txt', 'two.txt'])
})

test('a recorded run notes the paths its tests create; a file that was there before, rewritten or deleted, is noted apart (readRewrites)', () => {
  const work = mkdtempSync(join(tmpdir(), 'flakeseed-writes-work-'))
  const notes = mkdtempSync(join(tmpdir(), 'flakeseed-writes-notes-'))
  dirs.push(work, notes)
  const script = `
    import { trackWrites } from ${JSON.stringify(WRITES)}
    import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
    writeFileSync('mine.txt', 'the user')
    writeFileSync('old.txt', 'the user')
    trackWrites(${JSON.stringify(notes)}, 'w1', true)
    writeFileSync('mine.txt', 'rewritten')
    rmSync('old.txt')
    writeFileSync('new.txt', '1')
    writeFileSync('new.txt', '2')
    mkdirSync('out')
    writeFileSync('out/a.txt', 'a')
  `
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: work })
  expect([...readWrites(notes)].map((p) => p.slice(work.length + 1)).sort()).toEqual(['new.txt', 'out', 'out/a.txt'])
  // Maybe the user's: src/run/leftovers.ts keeps them only where an earlier recorded run's tests left them.
  expect([...readRewrites(notes)].map((p) => p.slice(work.length + 1)).sort()).toEqual(['mine.txt', 'old.txt'])
  expect(readFileSync(join(work, 'new.txt'), 'utf8')).toBe('2')
})
