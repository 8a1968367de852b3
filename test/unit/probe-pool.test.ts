// The probe pool across victims (`bisect --jobs N` over several failing tests): each victim's first
// probe runs alone, with the per-probe file restore, and the
// pool decides again whether the rest run side by side. Fake executors: what a probe sees is recorded.
import { describe, expect, test, vi } from 'vitest'
import { ProbePool } from '../../src/bisect/pool.js'
import type { PlanExecutor, PlanResult } from '../../src/run/execute.js'
import type { ProbeFiles } from '../../src/run/probe-files.js'

interface Seen {
  restoreFiles: boolean
  running: number
}

function fixture(touches: () => number) {
  const seen: Seen[] = []
  let running = 0
  let created = 0
  const create = async () => {
    created++
    const executor = {
      restoreFiles: true,
      async run(): Promise<PlanResult> {
        running++
        seen.push({ restoreFiles: executor.restoreFiles, running })
        await new Promise((r) => setTimeout(r, 5))
        running--
        return { filesTouched: touches() } as PlanResult
      },
      async close() {},
    }
    return executor as unknown as PlanExecutor
  }
  const tree = { complete: true, files: new Map(), dirs: new Set() }
  const files = { beforeProbe: vi.fn(() => tree), putBack: vi.fn() }
  const pool = new ProbePool(create, 2, files as unknown as ProbeFiles)
  const plan = { files: [] }
  const round = () => Promise.all([pool.run(plan), pool.run(plan), pool.run(plan)])
  return { pool, seen, files, tree, round, created: () => created }
}

describe('ProbePool.nextVictim', () => {
  test('side by side after a first victim that wrote nothing: the next victim’s first probe runs alone with the restore, the earlier probes’ writes put back, no instance added', async () => {
    const { pool, seen, files, tree, round, created } = fixture(() => 0)
    pool.nextVictim()
    await round()
    expect(seen[0]).toEqual({ restoreFiles: true, running: 1 })
    expect(seen.slice(1).every((s) => !s.restoreFiles)).toBe(true)
    expect(files.putBack).not.toHaveBeenCalled()
    seen.length = 0
    pool.nextVictim()
    expect(files.putBack).toHaveBeenCalledWith(tree)
    await round()
    expect(seen[0]).toEqual({ restoreFiles: true, running: 1 })
    expect(seen.slice(1).every((s) => !s.restoreFiles)).toBe(true)
    expect(pool.size).toBe(2)
    expect(created()).toBe(2)
  })

  test('a later victim whose first probe writes files: the rest run one at a time, with the restore', async () => {
    let touched = 0
    const { pool, seen, round } = fixture(() => touched)
    await round()
    expect(pool.size).toBe(2)
    touched = 1
    pool.nextVictim()
    seen.length = 0
    await round()
    expect(pool.size).toBe(1)
    expect(pool.note).toContain('one at a time')
    expect(seen.every((s) => s.restoreFiles && s.running === 1)).toBe(true)
  })
})
