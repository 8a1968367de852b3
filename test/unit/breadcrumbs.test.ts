// Breadcrumbs (src/worker/breadcrumbs.ts): what a worker's log says after it died at any point of
// a file, written by the writer and read back by the reader, as the reporter reads it for crash rows.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { BreadcrumbWriter, readBreadcrumbs } from '../../src/worker/breadcrumbs.js'

let dirs: string[] = []
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs = []
})

function writer(): { crumbs: BreadcrumbWriter; dir: string; text: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'flakeseed-crumbs-'))
  dirs.push(dir)
  return { crumbs: new BreadcrumbWriter(dir, '4242'), dir, text: () => readFileSync(join(dir, '4242'), 'utf8') }
}

test('killed while a test runs: the tests that ended, with their states, and the one running', () => {
  const { crumbs, dir } = writer()
  crumbs.started('/p/a.test.ts', 'd > one', 0)
  crumbs.ended(0, 'pass', true)
  crumbs.started('/p/a.test.ts', 'd > two', 1)
  crumbs.ended(1, 'fail', true)
  crumbs.started('/p/a.test.ts', 'd > three', 2)
  expect(readBreadcrumbs(dir)).toEqual([
    {
      worker: '4242',
      file: '/p/a.test.ts',
      finished: [
        { name: 'd > one', index: 0, state: 'pass' },
        { name: 'd > two', index: 1, state: 'fail' },
      ],
      running: { name: 'd > three', index: 2 },
    },
  ])
})

test('one write a test: an end whose sibling starts next waits for that start, and goes out with it', () => {
  const { crumbs, text } = writer()
  crumbs.started('/p/a.test.ts', 'one', 0)
  crumbs.ended(0, 'pass', true)
  expect(text()).not.toContain('"end"')
  crumbs.started('/p/a.test.ts', 'two', 1)
  expect(text().split('\n').filter(Boolean)).toHaveLength(3)
})

test('an end with no sibling next (a hook or a suite follows) is written at once: killed there, nothing is running', () => {
  const { crumbs, dir } = writer()
  crumbs.started('/p/a.test.ts', 'one', 0)
  crumbs.ended(0, 'pass', false)
  const [log] = readBreadcrumbs(dir)
  expect(log).toMatchObject({ finished: [{ name: 'one', index: 0, state: 'pass' }] })
  expect(log!.running).toBeUndefined()
})

test('a skipped sibling next: flush writes the end it was to carry', () => {
  const { crumbs, dir } = writer()
  crumbs.started('/p/a.test.ts', 'one', 0)
  crumbs.ended(0, 'fail', true)
  crumbs.flush()
  const [log] = readBreadcrumbs(dir)
  expect(log).toMatchObject({ finished: [{ name: 'one', index: 0, state: 'fail' }] })
  expect(log!.running).toBeUndefined()
})

test('a new file starts the log over, and an end pending from the last file is dropped with it', () => {
  const { crumbs, dir, text } = writer()
  crumbs.started('/p/a.test.ts', 'one', 0)
  crumbs.ended(0, 'pass', true)
  crumbs.started('/p/b.test.ts', 'other', 0)
  expect(text()).not.toContain('a.test.ts')
  expect(readBreadcrumbs(dir)).toEqual([{ worker: '4242', file: '/p/b.test.ts', finished: [], running: { name: 'other', index: 0 } }])
})
