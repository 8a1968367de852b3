// After bisect has found the culprits of a victim: what they left behind, which of it is the cause,
// and a fix, each checked by a rerun, never guessed (docs/ARCHITECTURE.md, Diagnosis).
//  1. one probe runs the culprits and the victim with snapshots in the worker: the leaks;
//  2. the likeliest leak is undone alone just before the victim; if the victim's outcome does not
//     flip, all of them together, and when that flips the group is narrowed by halving (as the
//     search for culprits is) to the leaks whose undo is needed: one is `verified`, several are
//     `together`; a leak is never called verified by a probe that undid more than it;
//  3. the fix: a Vitest config switch when one covers the cause (checked by a rerun with it), else
//     the undo of exactly the cause said as code (checked by the probe of step 2 that undid it);
//  4. when nothing visible is the cause: tests of the suite that, run in between, undo it
//     (cleaners), and for culprits in other files, `isolate: true`.
import { cleanerFix, codeFix, configFix, setupFix } from '../diagnose/fix.js'
import { firstCodeRemedy } from '../fix/plan.js'
import { loadParser, readScopeNeeds, readTestStatements } from '../diagnose/source.js'
import type { DiagnosisReport } from '../worker/diagnosis.js'
import type { DiagnoseRequest, PlanResult } from '../run/execute.js'
import type { Fix, Leak, LeakKind, RecordedTest } from '../core/model.js'
import { idOf, NAME_SEPARATOR } from '../core/names.js'
import { type BisectEvent, minimize } from '../core/minimize.js'

/** A leak the diagnosis probe saw, with the key the worker undoes it by. */
type Found = { key: string; by: string; leak: Leak }

export interface DiagnosisInput {
  /** `victim`: the culprits make it fail (polluters); `brittle`: they make it pass (state setters). */
  kind: 'victim' | 'brittle'
  culprits: readonly RecordedTest[]
  victim: RecordedTest
  /** The describe block bisect named as the cause (its hooks), when it did: where a fix's hook goes. */
  describe?: string
  /** The victim's error in the failing run: leaks it names are tried first. */
  error?: string | null
  /** Every other test that could share the victim's process: where cleaners are looked for. */
  pool: readonly RecordedTest[]
  /** Search `pool` for cleaners even when a leak was verified (`--cleaners`). */
  cleaners: boolean
  /** Runs `tests` then the victim as one probe (counted, cut short by Ctrl-C). */
  probe(tests: readonly RecordedTest[], diagnose?: DiagnoseRequest): Promise<PlanResult>
  /** The same with every file in its own process (`isolate: true`), when the culprits are in other files. */
  probeIsolated?(tests: readonly RecordedTest[]): Promise<PlanResult>
  phase(text: string): void
  onEvent?(event: BisectEvent<RecordedTest>): void
  signal?: AbortSignal
}

export interface Diagnosis {
  leaks: Leak[]
  /** Why no leak is listed, when none was seen. */
  noLeak?: string
  fix?: Fix
  cleaners: string[]
}

/** The leak kinds, most often the cause first (JS-TOD, ICST'25: mostly shared mocks). */
const KIND_ORDER: readonly LeakKind[] = ['mock', 'timers', 'env', 'global', 'module', 'dom', 'process', 'file', 'scope']

export async function diagnose(input: DiagnosisInput): Promise<Diagnosis> {
  const { culprits, victim } = input
  const victimId = idOf(victim)
  const request = { culprits: culprits.map(plain), victim: plain(victim) }
  /** The outcome that says the leak (or fix) is the cause: the victim passes, or for a brittle test fails. */
  const target = input.kind === 'victim' ? 'passed' : 'failed'
  const flips = (result: PlanResult) => result.states.get(victimId) === target
  const result: Diagnosis = { leaks: [], cleaners: [] }

  input.phase('diagnosing: what the culprits left behind')
  const seen = await input.probe(culprits, request)
  const report: DiagnosisReport | undefined = seen.diagnosis
  const found: Found[] = (report?.leaks ?? []).map((l) => ({
    ...l,
    leak: { kind: l.kind, what: l.what, before: l.before, after: l.after, verified: false, by: l.by },
  }))
  result.leaks = found.map((f) => f.leak)
  if (!report?.reached) result.noLeak = 'the victim was never reached in the diagnosis probe (a culprit crashed its worker?)'
  else if (!found.length) result.noLeak = NO_LEAK

  // 2. Which leak is the cause, each claim backed by a probe that undid exactly what it names.
  const check = async (group: readonly Found[]) => {
    const undone = await input.probe(culprits, { ...request, undo: group.map((f) => f.key) })
    return { flipped: flips(undone), undone: group.filter((f) => undone.diagnosis?.undone[f.key]) }
  }
  const cause = await findCause(rank(found, input.error ?? ''), check, input)

  // Nothing undone was the cause: a variable of the test file the culprits assign, read from its source.
  if (!cause && report?.root) result.leaks.push(...(await scopeLeaks(input, report.root)))

  // 3. The fix, named only for a cause narrowed down to what a probe undid.
  if (cause && !cause.partial)
    result.fix = await fixOf(cause.leaks, input, async (config) => flips(await input.probe(culprits, { ...request, config })), report)

  // 4. Nothing visible is the cause: a test that undoes it, or (other files) isolation.
  if (input.kind === 'victim' && (!result.fix || input.cleaners)) {
    result.cleaners = await findCleaners(input)
    if (!result.fix && result.cleaners.length) result.fix = { ...(await cleanerFixOf(result.cleaners, input, report?.root)), verified: true }
  }
  if (!result.fix && input.kind === 'victim' && input.probeIsolated && culprits.some((c) => c.file !== victim.file || c.project !== victim.project)) {
    input.phase('checking isolate: true')
    const isolated = await input.probeIsolated(culprits)
    if (flips(isolated))
      result.fix = {
        suggestion: 'isolate: true in the Vitest config (each test file in its own module graph)',
        config: { isolate: true },
        verified: true,
        how: 'config-rerun',
        remedy: 'isolate-config',
      }
  }
  return result
}

/** The cause: the leaks whose undo flipped the outcome; `partial` when the narrowing was cut short. */
interface Cause {
  leaks: Found[]
  partial: boolean
}

/**
 * The likeliest leak alone (the common case: one probe); else every leak at once, and when that
 * flips, the group narrowed by halving. Marks each leak with what the probes showed of it.
 */
async function findCause(
  ranked: readonly Found[],
  check: (group: readonly Found[]) => Promise<{ flipped: boolean; undone: Found[] }>,
  input: Pick<DiagnosisInput, 'phase' | 'signal'>,
): Promise<Cause | undefined> {
  const first = ranked[0]
  if (!first) return undefined
  input.phase(`checking a leak: ${first.leak.what}`)
  let cause: Cause | undefined
  const alone = await check([first])
  if (alone.flipped && alone.undone.length === 1) cause = { leaks: [first], partial: false }
  else if (ranked.length === 1) {
    if (alone.undone.length) first.leak.ruledOut = 'no-change'
  } else {
    input.phase(`checking the ${ranked.length} leaks together`)
    const all = await check(ranked)
    if (!all.flipped) {
      for (const f of all.undone) f.leak.ruledOut = 'no-change'
      return undefined
    }
    const outcome = async (group: readonly Found[]) => {
      const result = await check(group)
      return result.flipped && result.undone.length === group.length ? 'pass' : 'fail'
    }
    // Leaks that could not be put back were not part of what the group probe undid.
    const search = await minimize(all.undone, outcome, 'pass', { signal: input.signal })
    cause = { leaks: search.minimal, partial: search.aborted }
  }
  if (!cause) return undefined
  if (cause.leaks.length === 1 && !cause.partial) cause.leaks[0]!.leak.verified = true
  else for (const f of cause.leaks) f.leak.together = true
  if (!cause.partial) for (const f of ranked) if (!cause.leaks.includes(f)) f.leak.ruledOut = 'cause-alone'
  return cause
}

/**
 * The fix for a cause: for a brittle test, set it up itself; else a config switch that covers every
 * leak of the cause when a rerun with it flips the outcome, or the undo of exactly the cause as code.
 */
async function fixOf(
  cause: readonly Found[],
  input: Pick<DiagnosisInput, 'kind' | 'victim' | 'culprits' | 'describe' | 'phase'>,
  rerunWith: (config: Record<string, unknown>) => Promise<boolean>,
  report: DiagnosisReport | undefined,
): Promise<Fix> {
  const join = (fixes: Array<Omit<Fix, 'verified'>>) => ({ ...fixes[0]!, suggestion: fixes.map((f) => f.suggestion).join('; and ') })
  const origin = { stubbedEnv: report?.stubbed.env ?? [], stubbedGlobal: report?.stubbed.global ?? [] }
  let configFailed = false
  if (input.kind === 'victim') {
    const configs = cause.map((f) => configFix(f.leak, origin))
    const config = configs[0]
    if (config?.config && configs.every((c) => c?.suggestion === config.suggestion)) {
      input.phase(`checking the fix: ${config.suggestion}`)
      if (await rerunWith(config.config)) return { ...config, verified: true, remedy: `${Object.keys(config.config)[0]}-config` }
      configFailed = true
    }
  }
  // The code the patch writes first, said as `flakeseed fix` says it; the undo probe's own words when it has none.
  const planned = plannedFix(cause, input, origin, report?.root, configFailed)
  if (planned) return planned
  if (input.kind === 'brittle') return { ...join(cause.map((f) => setupFix(f.leak, idOf(input.victim), f.by))), verified: true }
  return { ...join(cause.map((f) => codeFix(f.leak, f.by))), verified: true }
}

/** The patch planner's first code remedy for exactly this cause (src/fix/plan.ts), as a fix checked by the undo probe. */
function plannedFix(
  cause: readonly Found[],
  input: Pick<DiagnosisInput, 'kind' | 'victim' | 'culprits' | 'describe'>,
  origin: { stubbedEnv: string[]; stubbedGlobal: string[] },
  root: string | undefined,
  configFailed: boolean,
): Fix | undefined {
  const finding = {
    victim: idOf(input.victim),
    kind: input.kind,
    polluters: input.kind === 'victim' ? input.culprits.map(idOf) : [],
    stateSetters: input.kind === 'brittle' ? input.culprits.map(idOf) : [],
    cleaners: [],
    probes: 0,
    leaks: cause.map((f) => f.leak),
    ...(input.describe ? { describe: input.describe } : {}),
  }
  const remedy = firstCodeRemedy({ root: root ?? '', finding, project: input.victim.project, origin }, configFailed)
  return remedy && { suggestion: remedy.summary, how: 'undo-rerun', verified: true, remedy: remedy.kind }
}

/**
 * The `let`s of the victim's describes (or file) that it reads and that culprits in its file assign:
 * state shared through the test file, which no snapshot sees. Read from the source, so not verified.
 */
async function scopeLeaks(input: Pick<DiagnosisInput, 'victim' | 'culprits'>, root: string): Promise<Leak[]> {
  const { victim } = input
  const inFile = input.culprits.filter((c) => c.file === victim.file && c.project === victim.project)
  const parse = inFile.length ? await loadParser(root) : undefined
  const needs = parse ? (readScopeNeeds(parse, root, victim.file, victim.name) ?? []) : []
  const bare = (name: string) => name.replace(/ \(\d+\)$/, '')
  return needs.flatMap((need) => {
    const by = inFile.filter((c) => need.assignedBy.includes(bare(c.name)))
    if (!by.length) return []
    const where = need.describe ? `describe '${need.describe}'` : 'the file'
    const what = `${need.variable} of ${where}, assigned by ${by.map((c) => `'${bare(c.name).split(NAME_SEPARATOR).at(-1)}'`).join(', ')}`
    return [{ kind: 'scope' as const, what, before: '', after: '', verified: false, by: idOf(by[0]!) }]
  })
}

/** The cleaners' statements, read from their source, as a fix. */
async function cleanerFixOf(cleaners: readonly string[], input: Pick<DiagnosisInput, 'pool' | 'culprits'>, root: string | undefined) {
  const parse = root ? await loadParser(root) : undefined
  const statements = cleaners.map((id) => {
    const test = input.pool.find((t) => idOf(t) === id)
    return parse && root && test ? readTestStatements(parse, root, test.file, test.name) : undefined
  })
  return cleanerFix(cleaners, statements, idOf(input.culprits.at(-1)!))
}

export const NO_LEAK =
  'no leak visible: the culprits changed state nothing outside their module can see (a module-private variable, a closure, a pending timer or promise); read what they change'

/** Leaks the victim's error names first, then by kind. */
function rank<T extends { leak: Leak }>(leaks: readonly T[], error: string): T[] {
  const named = (l: Leak) => {
    const name =
      l.what
        .split(/[.:\s]/)
        .filter(Boolean)
        .at(-1) ?? ''
    const value = l.after.replace(/^'|'$/g, '')
    return (name.length > 2 && error.includes(name)) || (value.length > 1 && !value.startsWith('(') && error.includes(value))
  }
  return [...leaks].sort((a, b) => Number(named(b.leak)) - Number(named(a.leak)) || KIND_ORDER.indexOf(a.leak.kind) - KIND_ORDER.indexOf(b.leak.kind))
}

/**
 * Tests that make the victim pass when run between the culprits and it. The whole pool is
 * probed first; it is minimised only when it changes the outcome (group testing).
 */
export async function findCleaners(input: Pick<DiagnosisInput, 'culprits' | 'victim' | 'pool' | 'probe' | 'phase' | 'onEvent' | 'signal'>): Promise<string[]> {
  const culpritIds = new Set(input.culprits.map(idOf))
  const pool = input.pool.filter((t) => !culpritIds.has(idOf(t)) && idOf(t) !== idOf(input.victim))
  if (!pool.length) return []
  // One plan entry per file: the culprits' files first, then the others, the victim's file last.
  const order = arrange(input.culprits, input.victim)
  const probe = async (subset: readonly RecordedTest[]) => ((await input.probe(order(subset))).states.get(idOf(input.victim)) === 'passed' ? 'pass' : 'fail')
  input.phase(`searching ${pool.length} tests of the suite for one that undoes the pollution`)
  if ((await probe(pool)) !== 'pass') return []
  const search = await minimize(pool, probe, 'pass', { signal: input.signal, onEvent: input.onEvent })
  return search.minimal.map(idOf)
}

/**
 * The culprits, then `subset`, each file in one block (a plan runs a file once): files of culprits
 * first with their culprits first, other files next, the victim's file last.
 */
function arrange(culprits: readonly RecordedTest[], victim: RecordedTest): (subset: readonly RecordedTest[]) => RecordedTest[] {
  const key = (t: RecordedTest) => `${t.project}\u0000${t.file}`
  const victimFile = key(victim)
  return (subset) => {
    const blocks = new Map<string, RecordedTest[]>()
    const add = (t: RecordedTest) => blocks.set(key(t), [...(blocks.get(key(t)) ?? []), t])
    for (const t of culprits) if (key(t) !== victimFile) add(t)
    for (const t of subset) if (key(t) !== victimFile) add(t)
    for (const t of culprits) if (key(t) === victimFile) add(t)
    for (const t of subset) if (key(t) === victimFile) add(t)
    return [...blocks.values()].flat()
  }
}

function plain(t: RecordedTest): { project: string; file: string; name: string } {
  return { project: t.project, file: t.file, name: t.name }
}
