import { describe, expect, test } from 'vitest'
import type { Store } from '../../src/store/index.js'
import { latestPatches, savePatch } from '../../src/store/patches.js'
import { pruneStore } from '../../src/store/prune.js'
import { runMeta, tempStore as store } from '../helpers/store.js'

/** Adds a finished run with one result; returns its id. */
function add(s: Store, kind: string, startedAt: number, shard: string | null = null): number {
  const id = s.beginRun(runMeta({ uuid: `${kind}-${startedAt}-${shard}`, kind, startedAt, commitSha: 'c', shard }))
  s.writeResults(id, [
    {
      project: '',
      file: 'a.test.ts',
      name: `t ${kind} ${startedAt}`,
      fileIndex: 0,
      testIndex: 0,
      worker: 1,
      state: 'passed',
      durationMs: 1,
      retries: 0,
      flaky: false,
      error: null,
    },
  ])
  s.finishRun(id, 'passed')
  return id
}

const ids = (s: Store) => s.db.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as number[]

describe('pruneStore --keep', () => {
  test('counts runs of kind run, the shards of one build as one, and keeps the replays since the oldest kept run', () => {
    const s = store()
    const old = add(s, 'run', 1000)
    const oldReplay = add(s, 'replay', 1500)
    const shard1 = add(s, 'run', 2000, '1/2')
    const shard2 = add(s, 'run', 2100, '2/2')
    const newest = add(s, 'run', 3000)
    const replay = add(s, 'replay', 4000)
    const summary = pruneStore(s, { keep: 2 })
    expect(ids(s)).toEqual([shard1, shard2, newest, replay])
    expect(summary).toMatchObject({ runsRemoved: 2, runsKept: 4, resultsRemoved: 2, testsRemoved: 2 })
    expect([old, oldReplay].every((id) => !ids(s).includes(id))).toBe(true)
    s.close()
  })

  test("deletes the patches verified on the runs it deletes, and keeps the kept runs' patches", () => {
    const s = store()
    const old = add(s, 'run', 1000)
    const kept = add(s, 'run', 2000)
    const patch = (runId: number, victim: string) => ({
      runId,
      victim,
      summary: 'restore the global',
      diff: '--- a/x\n+++ b/x\n',
      verified: 'seed 1',
      edits: [{ path: 'x', before: 'a', after: 'b' }],
    })
    expect(savePatch(s, patch(old, 'a.test.ts > old victim'))).toBe(true)
    expect(savePatch(s, patch(kept, 'a.test.ts > kept victim'))).toBe(true)
    pruneStore(s, { keep: 1 })
    expect(ids(s)).toEqual([kept])
    expect([...latestPatches(s).values()].map((p) => [p.runId, p.victim])).toEqual([[kept, 'a.test.ts > kept victim']])
    expect(s.db.prepare('SELECT count(*) FROM patches').pluck().get()).toBe(1)
    s.close()
  })

  test('without --keep or --older-than it refuses', () => {
    const s = store()
    expect(() => pruneStore(s, {})).toThrow(/--keep N or --older-than DAYS/)
    s.close()
  })
})

describe('a run still marked running', () => {
  function begin(s: Store, startedAt: number): number {
    return s.beginRun(runMeta({ uuid: `running-${startedAt}`, kind: 'run', startedAt, commitSha: 'c', shard: null }))
  }

  test('is running while its process lives, and crashed once its pid belongs to a later process', () => {
    const s = store()
    // This process recorded both; it started before `now` but long after an hour ago.
    const now = begin(s, Date.now())
    const hourAgo = begin(s, Date.now() - 3600_000)
    expect(s.resolveRun(String(now)).status).toBe('running')
    expect(s.resolveRun(String(hourAgo)).status).toBe(process.platform === 'linux' ? 'crashed' : 'running')
    s.close()
  })
})
