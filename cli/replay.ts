import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { replayCommand } from '../src/core/commands.js'
import { FlakeseedError } from '../src/core/errors.js'
import { plural, someOf, visible } from '../src/core/format.js'
import { PlanExecutor } from '../src/run/execute.js'
import { asideForRepeats } from '../src/run/leftovers.js'
import type { Finding } from '../src/core/model.js'
import { testId } from '../src/core/names.js'
import type { Plan } from '../src/core/order.js'
import { location, planOf, recordedOrder, selectTests } from '../src/run/selection.js'
import { saveFinding } from '../src/store/findings.js'
import { Store } from '../src/store/index.js'
import { logicalRun } from '../src/store/shards.js'
import { commandOptions, DB_TIMEOUT, dbPath, EXIT, openStore, printJson, table, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  seed?: string
  only?: string[]
  repeat: number
  config?: string
}

interface Tally {
  test: string
  runs: number
  failures: number
}

export async function replay(ref: string | undefined, options: Options): Promise<number> {
  const target = replayTarget(ref, options)
  const { root, config, seed, plans, runId, isolate } = target
  // Every recorded file (of the default project, whose root is known here) is gone: say so
  // without starting Vitest, which would only find nothing to run.
  const files = plans.flatMap((p) => p?.files ?? [])
  if (files.length && files.every((f) => f.project === '' && !existsSync(resolve(root, f.file)))) {
    throw nothingRan(`run ${runId}`, new Set(files.flatMap((f) => f.tests.map((name) => testId(f.project, f.file, name)))))
  }
  const quiet = Boolean(options.json) || options.repeat > 1
  // Repeats tell order-dependence from non-determinism: each starts from the state the recorded run started from.
  const aside = options.repeat > 1 ? asideForRepeats(dbPath(options), root, target.run) : undefined
  for (const line of aside?.lines ?? []) process.stderr.write(`flakeseed: ${line}\n`)
  let replayed: Awaited<ReturnType<typeof replayPlans>>
  try {
    const executor = await PlanExecutor.create({ root, config, seed: seed!, kind: 'replay', db: dbPath(options), isolate, quiet, json: options.json })
    replayed = await replayPlans(executor, plans, options, () => aside?.between())
  } finally {
    for (const line of aside?.end() ?? []) process.stderr.write(`flakeseed: ${line}\n`)
  }
  const { tests, missing, unhandled } = replayed
  // Vitest found nothing to run (every recorded file deleted, every test renamed): nothing was
  // replayed, which is no pass.
  if (!tests.length && !unhandled) throw nothingRan(runId === undefined ? `seed ${seed}` : `run ${runId}`, missing)
  const failing = tests.filter((t) => t.failures > 0)
  // One order that both passed and failed is non-determinism, whatever else ran: say so in the
  // history, so `flaky` and the end-of-run summary stop suspecting the order.
  const nod = runId === undefined ? [] : failing.filter((t) => t.failures < t.runs)
  if (nod.length) saveNod(options, runId!, nod)
  printReplay({ runId, seed, tests, failing, missing }, options)
  return failing.length || unhandled ? EXIT.found : EXIT.ok
}

/** What a replay runs: the recorded run's plans (one per shard), or a bare seed's order; where, and how. */
interface ReplayTarget {
  root: string
  config: string | undefined
  seed: string | undefined
  /** One plan per shard: a test replays in the shard it ran in, after the tests it ran after. */
  plans: Array<Plan | undefined>
  runId: number | undefined
  /** The recorded run, for what it and later runs left (`asideForRepeats`). */
  run?: { id: number; root: string | null }
  isolate: boolean | undefined
}

function replayTarget(ref: string | undefined, options: Options): ReplayTarget {
  const target: ReplayTarget = { root: process.cwd(), config: options.config, seed: options.seed, plans: [undefined], runId: undefined, isolate: undefined }
  if (target.seed && !ref) {
    if (options.only?.length) throw new FlakeseedError('flakeseed: --only needs a recorded run to take the tests from (give a run id)')
    return target
  }
  const store = openStore(options)
  try {
    const run = store.resolveRun(ref ?? 'last', ref ? undefined : ['run'])
    target.runId = run.id
    target.run = { id: run.id, root: run.root }
    const where = location(run, options.config)
    target.root = where.root
    target.config = where.config
    let orders = logicalRun(store, run).map((part) => recordedOrder(store.results(part.id)))
    if (!orders.some((o) => o.length)) throw new FlakeseedError(`flakeseed: run ${run.id} recorded no test that ran`)
    if (options.only?.length) {
      const selected = new Set(selectTests(orders.flat(), options.only))
      orders = orders.map((o) => o.filter((t) => selected.has(t)))
    }
    target.plans = orders.filter((o) => o.length).map(planOf)
    target.seed ??= run.seed
    target.isolate = run.isolate ?? undefined
    return target
  } finally {
    store.close()
  }
}

/** Every plan `repeat` times on one Vitest instance: each test's runs and failures, tests that no longer exist, unhandled errors. */
async function replayPlans(executor: PlanExecutor, plans: ReadonlyArray<Plan | undefined>, options: Options, betweenRepeats: () => void) {
  const progress = process.stderr.isTTY && !options.json && options.repeat > 1
  const tallies = new Map<string, Tally>()
  const missing = new Set<string>()
  let unhandled = 0
  try {
    for (let i = 0; i < options.repeat; i++) {
      if (i > 0) betweenRepeats()
      for (const plan of plans) {
        const result = await executor.run(plan)
        for (const id of result.missing) missing.add(id)
        unhandled += result.unhandled
        for (const [test, state] of result.states) {
          if (state === 'skipped') continue
          const t = tallies.get(test) ?? { test, runs: 0, failures: 0 }
          t.runs++
          if (state === 'failed') t.failures++
          tallies.set(test, t)
        }
      }
      if (progress) process.stderr.write(`\rreplay ${i + 1}/${options.repeat}`)
    }
  } finally {
    await executor.close()
  }
  if (progress) process.stderr.write('\n')
  return { tests: [...tallies.values()], missing, unhandled }
}

function printReplay(
  r: { runId: number | undefined; seed: string | undefined; tests: Tally[]; failing: Tally[]; missing: ReadonlySet<string> },
  options: Options,
): void {
  const { runId, seed, tests, failing, missing } = r
  const verdict = (t: Tally) =>
    t.failures === 0 ? 'passed' : t.failures === t.runs ? 'failed every time' : 'non-deterministic (passed and failed on the same order)'
  if (options.json) {
    printJson({
      run: runId ?? null,
      seed,
      repeat: options.repeat,
      passed: tests.length - failing.length,
      failed: failing.length,
      tests: tests.map((t) => ({ ...t, verdict: t.failures === 0 ? 'passed' : t.failures === t.runs ? 'failed' : 'nod' })),
      missing: [...missing],
    })
    return
  }
  if (missing.size) {
    console.log(`${missing.size} recorded test${missing.size === 1 ? '' : 's'} no longer exist${missing.size === 1 ? 's' : ''} and did not run:`)
    for (const id of missing) console.log(`  ${visible(id)}`)
  }
  if (options.repeat > 1) {
    console.log(
      `replayed ${runId === undefined ? `seed ${seed}` : `run ${runId}`} ${options.repeat} times: ${failing.length} of ${tests.length} tests failed at least once`,
    )
    if (failing.length) console.log(table([['failed', 'test', 'verdict'], ...failing.map((t) => [`${t.failures}/${t.runs}`, visible(t.test), verdict(t)])]))
  } else {
    console.log(`flakeseed replay of ${runId === undefined ? `seed ${seed}` : `run ${runId}`}: ${failing.length ? `${failing.length} failed` : 'all passed'}`)
  }
}

function saveNod(options: Options, runId: number, tallies: readonly Tally[]): void {
  try {
    const store = Store.open(dbPath(options), { timeout: DB_TIMEOUT })
    try {
      for (const t of tallies) {
        const command = replayCommand(runId, { ...commandOptions(options), only: [t.test], repeat: options.repeat })
        const finding: Finding = {
          victim: t.test,
          kind: 'nod',
          polluters: [],
          stateSetters: [],
          cleaners: [],
          probes: t.runs,
          failures: { failed: t.failures, runs: t.runs },
        }
        saveFinding(store, runId, finding, command)
      }
    } finally {
      store.close()
    }
  } catch (error) {
    process.stderr.write(`flakeseed: could not save the findings: ${(error as Error).message}\n`)
  }
}

/** Nothing was replayed, which is no pass: which tests are gone, or that none was found. */
function nothingRan(what: string, missing: ReadonlySet<string>): FlakeseedError {
  if (!missing.size) return new FlakeseedError(`flakeseed: nothing ran: no test of ${what} was found`)
  const exist = missing.size === 1 ? 'exists' : 'exist'
  return new FlakeseedError(`flakeseed: nothing ran: the ${plural(missing.size, 'test')} of ${what} no longer ${exist} (${someOf([...missing].map(visible))})`)
}
