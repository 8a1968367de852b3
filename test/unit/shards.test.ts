import { describe, expect, test } from 'vitest'
import { GROUP_WINDOW, groupShards, type ShardInfo } from '../../src/store/shards.js'

let nextId = 1
function run(shard: string | null, over: Partial<ShardInfo> = {}): ShardInfo {
  const id = nextId++
  return { id, kind: 'run', commitSha: 'c1', seed: '7', shard, startedAt: 1_000_000 + id * 1000, ...over }
}
const ids = (groups: ShardInfo[][]) => groups.map((g) => g.map((r) => r.id))

describe('groupShards', () => {
  test('shards of one commit, seed and count form one logical run, ordered by shard index', () => {
    const [a, b, c, d] = [run('3/4'), run('1/4'), run('4/4'), run('2/4')]
    expect(ids(groupShards([a!, b!, c!, d!]))).toEqual([[b!.id, d!.id, a!.id, c!.id]])
  })

  test('a repeated shard index starts a new logical run; other seeds, commits, counts and kinds stay apart', () => {
    const first = [run('1/2'), run('2/2')]
    const rerun = run('2/2')
    const otherSeed = run('1/2', { seed: '8' })
    const otherCommit = run('2/2', { commitSha: 'c2' })
    const otherCount = run('1/3')
    const replay = run('1/2', { kind: 'replay' })
    const plain = run(null)
    const groups = groupShards([...first, rerun, otherSeed, otherCommit, otherCount, replay, plain])
    expect(ids(groups)).toEqual([[first[0]!.id, first[1]!.id], [rerun.id], [otherSeed.id], [otherCommit.id], [otherCount.id], [replay.id], [plain.id]])
  })

  test('shards started further apart than the window are different builds', () => {
    const a = run('1/2')
    const b = run('2/2', { startedAt: a.startedAt + GROUP_WINDOW + 1 })
    expect(ids(groupShards([a, b]))).toEqual([[a.id], [b.id]])
  })
})
