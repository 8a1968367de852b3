// The patches table: a verified patch whose text may hold a secret is kept only as "withheld"
// (no diff, no file text), so `fix --apply` can say why it verifies again; the others as they are.
import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { latestPatches, savePatch, withheldPatches } from '../../src/store/patches.js'
import { runMeta, tempStore } from '../helpers/store.js'

const TOKEN = ['ghp', '16C7e42F292c6912E7710c838347Ae178B4a'].join('_')

function patch(victim: string, text: string) {
  return {
    victim,
    summary: 'save process.env.X before each test and put it back after in test/a.test.ts',
    diff: `--- a/test/a.test.ts\n+++ b/test/a.test.ts\n@@ -1 +1,2 @@\n ${text}\n+afterEach(() => {})\n`,
    verified: 'the failing order of run 1 fails without it and passes with it; 1 file × 3 seeds pass',
    edits: [{ path: 'test/a.test.ts', before: `${text}\n`, after: `${text}\nafterEach(() => {})\n` }],
    inputs: { 'src/x.ts': 'ab' },
  }
}

test('a patch holding a token is stored withheld, without its text; the newest row per victim decides', () => {
  const store = tempStore()
  const run = store.beginRun(runMeta())
  expect(savePatch(store, { runId: run, ...patch('a.test.ts > plain', `const key = 'value-of-the-key'`) })).toBe(true)
  expect(savePatch(store, { runId: run, ...patch('a.test.ts > token', `const GITHUB = '${TOKEN}'`) })).toBe(false)
  expect([...latestPatches(store, run).keys()]).toEqual(['a.test.ts > plain'])
  expect([...withheldPatches(store, run)]).toEqual(['a.test.ts > token'])
  expect([...withheldPatches(store)]).toEqual(['a.test.ts > token'])
  // Verified again later without the token: stored whole, no longer withheld.
  expect(savePatch(store, { runId: run, ...patch('a.test.ts > token', `const GITHUB = process.env.GITHUB`) })).toBe(true)
  expect([...withheldPatches(store, run)]).toEqual([])
  expect([...latestPatches(store, run).keys()].sort()).toEqual(['a.test.ts > plain', 'a.test.ts > token'])
  const rows = JSON.stringify(store.db.prepare('SELECT * FROM patches').all())
  expect(rows).not.toContain('ghp_')
  store.db.pragma('wal_checkpoint(TRUNCATE)')
  expect(readFileSync(store.db.name).includes('ghp_')).toBe(false)
  store.close()
})
