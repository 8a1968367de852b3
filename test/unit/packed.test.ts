// `analysePacked` (src/analysis/packed.ts) must give exactly the rows `analyse` gives: random
// histories (seeded, so a failure replays), analysed as objects and packed, compared whole.
import { describe, expect, test } from 'vitest'
import { analyse, type FindingHint, type RunOutcome, type TestHistory } from '../../src/analysis/flakiness.js'
import { analysePacked, FLAG, type PackedHistory, type PackedRuns } from '../../src/analysis/packed.js'
import { prng } from '../helpers/files.js'

interface Run {
  id: number
  seed: string
  commit: string | null
  startedAt: number | null
  evidence?: 'replay' | 'partial'
}

const FINDINGS: Array<FindingHint | undefined> = [
  undefined,
  undefined,
  undefined,
  { kind: 'victim', polluters: ['a.test.ts > p'], stateSetters: [], command: null },
  { kind: 'victim', polluters: [], stateSetters: [], command: 'npx flakeseed bisect 3' },
  { kind: 'brittle', polluters: [], stateSetters: ['a.test.ts > s'], command: null },
  { kind: 'nod', polluters: [], stateSetters: [], command: null },
  { kind: 'not-reproduced', polluters: [], stateSetters: [], command: null },
  { kind: 'independent', polluters: [], stateSetters: [], command: null },
]

/**
 * A random window: runs on a few commits (some outside git) under a few seeds, replays and runs of
 * part of the suite among them; tests that fail often, rarely, always or never, in a few orders.
 */
function randomWindow(random: () => number): { runs: Run[]; histories: TestHistory[] } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const commits = [null, 'aaaaaaa1', 'bbbbbbb2', 'ccccccc3', 'ddddddd4'].slice(0, 1 + Math.floor(random() * 5))
  const seeds = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, i) => String(100 + i))
  const runs: Run[] = []
  let commit = pick(commits)
  for (let id = 1; id <= 1 + Math.floor(random() * 40); id++) {
    if (random() < 0.15) commit = pick(commits)
    const kind = random()
    runs.push({
      id: id * 2 + (random() < 0.5 ? 1 : 0),
      seed: pick(seeds),
      commit,
      startedAt: random() < 0.1 ? null : 1_700_000_000_000 + id * 1000,
      ...(kind < 0.08 ? { evidence: 'replay' as const } : kind < 0.15 ? { evidence: 'partial' as const } : {}),
    })
  }
  const histories: TestHistory[] = []
  for (let t = 0; t < 30; t++) {
    const failRate = pick([0, 0.02, 0.2, 0.5, 0.9, 1])
    const orders = 1 + Math.floor(random() * 6)
    const flipAt = random() < 0.3 ? Math.floor(random() * runs.length) : -1
    const outcomes: RunOutcome[] = []
    for (const [i, run] of runs.entries()) {
      if (random() < 0.2) continue
      const rate = flipAt >= 0 && i >= flipAt ? 1 - failRate : failRate
      const failed = random() < rate
      const retried = !failed && random() < 0.05
      outcomes.push({
        run: run.id,
        seed: run.seed,
        commit: run.commit,
        order: run.evidence === 'replay' ? `replay ${run.id}` : `${run.commit} ${run.seed} ${Math.floor(random() * orders)}`,
        state: failed ? 'failed' : 'passed',
        retried,
        retries: retried ? 1 + Math.floor(random() * 2) : random() < 0.05 ? 1 : 0,
        quarantined: random() < 0.1,
        declarationOrder: random() < 0.1,
        ...(run.evidence ? { evidence: run.evidence } : {}),
        error: failed ? (random() < 0.2 ? null : `Error ${Math.floor(random() * 5)}`) : null,
        startedAt: run.startedAt,
      })
    }
    const finding = pick(FINDINGS)
    histories.push({ test: `f${t % 4}.test.ts > t${t}`, outcomes, ...(finding ? { finding } : {}) })
  }
  return { runs, histories }
}

/** The same histories packed, as the store packs them. */
function pack(runs: readonly Run[], histories: readonly TestHistory[]): { packed: PackedHistory[]; table: PackedRuns } {
  const number = new Map<string | null, number>()
  const no = (map: Map<string | null, number>, key: string | null) => map.get(key) ?? map.set(key, map.size).get(key)!
  const seedNo = new Map<string | null, number>()
  const orderNo = new Map<string | null, number>()
  const table: PackedRuns = {
    id: runs.map((r) => r.id),
    seed: runs.map((r) => r.seed),
    commit: runs.map((r) => r.commit),
    startedAt: runs.map((r) => r.startedAt),
    seedNo: runs.map((r) => no(seedNo, r.seed)),
    seeds: 0,
    commitNo: runs.map((r) => no(number, r.commit)),
    commits: number.size,
    orders: 0,
  }
  const index = new Map(runs.map((r, i) => [r.id, i]))
  const packed = histories.map((h): PackedHistory => {
    const o = h.outcomes
    const bit = (on: boolean | undefined, flag: number) => (on ? flag : 0)
    return {
      test: h.test,
      length: o.length,
      run: Int32Array.from(o, (x) => index.get(x.run)!),
      flags: Uint8Array.from(
        o,
        (x) =>
          bit(x.state === 'failed', FLAG.failed) |
          bit(x.retried, FLAG.retried) |
          bit(x.quarantined, FLAG.quarantined) |
          bit(x.declarationOrder, FLAG.declarationOrder) |
          bit(x.evidence === 'replay', FLAG.replay) |
          bit(x.evidence === 'partial', FLAG.partial),
      ),
      retries: Int32Array.from(o, (x) => x.retries ?? 0),
      order: Int32Array.from(o, (x) => no(orderNo, x.order)),
      error: (k) => o[k]!.error ?? null,
      ...(h.finding ? { finding: h.finding } : {}),
    }
  })
  return { packed, table: { ...table, seeds: seedNo.size, orders: orderNo.size } }
}

describe('analysePacked', () => {
  test('gives exactly the rows analyse gives, on 300 random windows', () => {
    let rows = 0
    const classes = new Set<string>()
    const reasons = new Set<string>()
    for (let trial = 0; trial < 300; trial++) {
      const { runs, histories } = randomWindow(prng(trial))
      const { packed, table } = pack(runs, histories)
      const minRuns = [1, 3, 5, 10][trial % 4]!
      const options = { minRuns, db: trial % 2 ? ['--db', 'h.db'] : undefined }
      const expected = analyse(histories, options)
      expect(analysePacked(packed, table, options), `trial ${trial}`).toEqual(expected)
      rows += expected.length
      for (const r of expected) {
        classes.add(r.class)
        reasons.add(r.reason)
      }
    }
    // The trials reach every class a row can have (a row has passed once: never `failing`), and
    // each way to a class, so the comparison covers every branch.
    expect([...classes].sort()).toEqual(['brittle', 'broken', 'fixed', 'non-deterministic', 'order-dependent', 'suspected', 'suspected-order-dependent'])
    for (const reason of [
      /^fails every run since /,
      /^no failure since /,
      /^failed, then passed on a retry in run \d+$/,
      /^failed, then passed on a retry in \d+ runs/,
      /^one order failed /,
      /^\d+ orders? failed every time/,
      /^on one commit some seeds fail/,
      /^on [a-f0-9]+ some seeds fail/,
      /^fails under some orders/,
      /^bisect: fails alone/,
      /^replay: the same order/,
      /^bisect: the failing order passed/,
      /^polluted by /,
      /^passes only after /,
      /fewer than \d+ to tell/,
    ]) {
      expect(
        [...reasons].some((r) => reason.test(r)),
        String(reason),
      ).toBe(true)
    }
    expect(rows).toBeGreaterThan(1000)
  })

  test('a difference in one outcome shows (the comparison can fail)', () => {
    const { runs, histories } = randomWindow(prng(7))
    const { packed, table } = pack(runs, histories)
    const h = packed.find((p) => p.length > 3)!
    const flags = Uint8Array.from(h.flags as Uint8Array)
    flags[h.length - 1]! ^= FLAG.failed
    const changed = packed.map((p) => (p === h ? { ...p, flags } : p))
    expect(analysePacked(changed, table)).not.toEqual(analyse(histories))
  })
})
