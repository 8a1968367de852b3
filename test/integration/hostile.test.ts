// Hostile state must not end a diagnosis: one fixture per hostile value (test/fixtures/hostile.mjs),
// each in the same module as (or beside) a real leak, `export const state = { items: [] }` pushed
// to by the polluter. Each row must still name that leak and verify it. The speed target (at most
// twice the time the same bisect takes without the hostile value) is bench/hostile.mjs's, measured
// interleaved on a quiet machine; here, where two test files share two cores, a row fails only
// past 4× at best of three back-to-back pairs: a cost that grows with the value (walking a
// 1e6-entry Map), not a load spike (a 2× check failed this way in CI: 6.6 s against 3.0 s).
import { existsSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { expect, test } from 'vitest'
import type { Finding, Leak } from '../../src/core/model.js'
import { testId } from '../../src/core/names.js'
import { FILE, QUIET, ROWS, type Row, shop } from '../fixtures/hostile.mjs'
import { runsBefore, seedWhere } from '../helpers/cli.js'
import { config, createProject } from '../helpers/project.js'

const POLLUTER = testId('', FILE, 'shop > fills the cart')
const VICTIM = testId('', FILE, 'shop > starts with an empty cart')
const IDS = [POLLUTER, VICTIM, ...QUIET.map((t) => testId('', FILE, `shop > ${t}`))]
const SEED = seedWhere(IDS, (o) => runsBefore(o, POLLUTER, VICTIM))
/** Past this many times its baseline, a row is slower than any load spike explains (the 2× target: bench/hostile.mjs). */
const LIMIT = 4

/** Records a failing run of the row's fixture and bisects it: the finding and the bisect's wall time. */
async function bisectRow(row: Row, module = row.module): Promise<{ finding: Finding; ms: number; touched: boolean }> {
  const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), 'src/state.ts': module, [FILE]: shop(row.pollute) })
  const touched = join(dirname(project.dir), `touched-${basename(project.dir)}`)
  const run = await project.runVitest([], { FLAKESEED_SEED: SEED, TOUCHED: touched })
  expect(run.code, run.output).toBe(1)
  rmSync(touched, { force: true })
  const started = performance.now()
  const result = await project.runCli(['bisect', 'last', '--repeat', '1', '--json'], { TOUCHED: touched })
  const ms = performance.now() - started
  expect(result.code, result.output).toBe(1)
  return { finding: JSON.parse(result.stdout) as Finding, ms, touched: row.touched === true && existsSync(touched) }
}

test('hostile module state: the real leak is still named and verified, and no value multiplies the bisect’s time', async () => {
  const times: Array<{ name: string; ms: number; control?: number }> = []
  const failures: string[] = []
  // ROWS[0] is the baseline: the loop measures it first.
  for (const row of ROWS) {
    const { finding, ms, touched } = await bisectRow(row)
    times.push({ name: row.name, ms, control: row.control === undefined ? undefined : (await bisectRow(row, row.control)).ms })
    const leak = finding.leaks?.find((l: Leak) => l.what === 'src/state.ts: state.items')
    if (finding.polluters.join() !== POLLUTER) failures.push(`${row.name}: polluters ${finding.polluters.join()}`)
    if (!leak?.verified) failures.push(`${row.name}: state.items not verified (${finding.noLeak ?? JSON.stringify(finding.leaks)})`)
    else if (leak.before !== '[]' || leak.after !== '[1]') failures.push(`${row.name}: state.items ${leak.before} → ${leak.after}`)
    if (!finding.fix?.verified) failures.push(`${row.name}: no verified fix`)
    if (touched) failures.push(`${row.name}: a getter was invoked`)
  }
  // CPU contention moves both: the baseline is measured at the start and at the end, the slower counts.
  const base = Math.max(times[0]!.ms, (await bisectRow(ROWS[0]!)).ms)
  const against = (t: (typeof times)[number]) => Math.max(base, t.control ?? 0)
  for (const t of times) {
    // Test files run two at a time: a load spike from the other one can double a single run. A
    // row over the limit is measured again, back to back with what it is compared with; the best
    // of three pairs counts, so only a slowdown that repeats fails.
    let ratio = t.ms / against(t)
    const row = ROWS.find((r) => r.name === t.name)!
    for (let again = 0; ratio > LIMIT && again < 2; again++) {
      const ms = (await bisectRow(row)).ms
      const control = (row.control === undefined ? await bisectRow(ROWS[0]!) : await bisectRow(row, row.control)).ms
      ratio = Math.min(ratio, ms / control)
    }
    if (ratio > LIMIT) failures.push(`${t.name}: ${(t.ms / 1000).toFixed(1)} s against ${(against(t) / 1000).toFixed(1)} s, ${ratio.toFixed(2)}× at best`)
  }
  console.log(
    times.map((t) => `${t.name}: ${(t.ms / 1000).toFixed(1)} s (${(t.ms / against(t)).toFixed(2)}× of ${(against(t) / 1000).toFixed(1)} s)`).join('\n'),
  )
  expect(failures).toEqual([])
}, 900_000)
