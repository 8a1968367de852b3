// From a diagnosed finding to patches: the remedies for its cause, smallest first. Each leak of the
// cause has its own remedies (src/fix/remedies.ts); a patch takes one per leak, tier by tier (all
// config switches, then all `vi.…()` hooks, then all restores), so a cause of several leaks is
// patched as a whole. `isolate: true` comes last, for leaks across files.
import { isAbsolute, join } from 'node:path'
import type { Leak } from '../core/model.js'
import { NAME_SEPARATOR } from '../core/names.js'
import { setConfigSwitches } from './config.js'
import { type Candidate, candidatesFor, onlyItsModuleAssigns } from './remedies.js'
import { editPath, isDescribe, readText, splitId } from './input.js'
import { privateState } from './private.js'
import { type Placed, placeText, renderHooks, viNameIn } from './render.js'
import { scopeCandidates } from './scope.js'
import { setupCandidates } from './setup.js'
import { callSetupRemedy } from './setup-call.js'
import { applySplices, parseSource } from './source.js'
import type { FileEdit, PatchInput, PatchPlan, Remedy, RemedyKind } from './types.js'

type HookCandidate = Extract<Candidate, { code: unknown }>

/** The remedies for a finding's cause, smallest first, or why there is none. */
export async function planPatches(input: PatchInput): Promise<PatchPlan> {
  const { finding } = input
  if (finding.kind !== 'victim' && finding.kind !== 'brittle') return { none: `a ${finding.kind} test has no cause to patch` }
  const cause = causeOf(finding.leaks ?? [])
  if (!cause.length) return { none: noCause(finding.noLeak, privateState(input)) }
  const scope = cause.filter((l) => l.kind === 'scope')
  const lists = scope.length
    ? [scopeCandidates(scope, input)]
    : cause.map((leak) => (finding.kind === 'brittle' ? setupCandidates(leak, input) : candidatesFor(leak, input.origin)))
  const why: string[] = []
  const remedies: Remedy[] = []
  if (lists.every((l) => l.length)) {
    addTiers(lists, input, remedies, why)
    // No probe can undo a describe's `let`, so "undoing every other leak changed nothing" says nothing
    // of those leaks: each is tried as a second cause beside it, and only the patch's checks decide
    // (i18next: `let t` reassigned, and a call left on the describe's logger spy).
    const unproven = scope.length ? (finding.leaks ?? []).filter((l) => l.kind !== 'scope' && l.ruledOut === 'no-change') : []
    const second = unproven.map((leak) => candidatesFor(leak, input.origin))
    if (unproven.length && second.every((l) => l.length)) addTiers([...lists, ...second], input, remedies, why)
  } else
    why.push(
      `no code can undo ${cause
        .filter((_, i) => !lists[i]!.length)
        .map((l) => l.what)
        .join(', ')}`,
    )
  // Isolation takes a brittle test's setter away too: it is no remedy there.
  const isolate = finding.kind === 'victim' ? isolateRemedy(input) : undefined
  if (isolate && !('why' in isolate)) remedies.push(isolate)
  // A brittle test whose setter calls something to set the state up (yup's `setLocale(dict)`).
  if (!remedies.length && finding.kind === 'brittle' && !scope.length) {
    const call = callSetupRemedy(
      cause,
      input,
      cause.filter((l) => input.undo?.includes(l.what)),
    )
    if ('why' in call) why.push(call.why)
    else remedies.push(call)
  }
  if (remedies.length) return { remedies }
  return { none: [...new Set(why)].join('; ') || 'no remedy applies' }
}

/** One remedy per tier (every list's candidate of that tier, or its last), each new one added to `remedies`. */
function addTiers(lists: ReadonlyArray<readonly Candidate[]>, input: PatchInput, remedies: Remedy[], why: string[]): void {
  const tiers = Math.max(0, ...lists.map((l) => l.length))
  for (let tier = 0; tier < tiers; tier++) {
    const remedy = build(
      lists.map((l) => l[Math.min(tier, l.length - 1)]!),
      input,
    )
    if ('why' in remedy) why.push(remedy.why)
    else if (!remedies.some((r) => sameEdits(r.edits, remedy.edits))) remedies.push(remedy)
  }
}

/** The leaks to undo: the verified ones, else the group verified together, else what the source showed (a describe's `let`). */
function causeOf(leaks: readonly Leak[]): Leak[] {
  const verified = leaks.filter((l) => l.verified)
  if (verified.length) return verified
  const together = leaks.filter((l) => l.together)
  if (together.length) return together
  return leaks.filter((l) => l.kind === 'scope')
}

function noCause(noLeak: string | undefined, privates: readonly string[]): string {
  const seen = noLeak ? `the diagnosis verified no leak (${noLeak})` : 'the diagnosis verified no leak'
  if (privates.length)
    return `module-private state: ${privates.slice(0, 3).join(', ')}${privates.length > 3 ? ` and ${privates.length - 3} more` : ''}, which nothing exports, cannot be restored from a test, and ${seen}`
  return `${seen}, and a patch restores only what a probe showed to be the cause; module-private state (a \`let\` nothing exports) is out of a test's reach`
}

/** One remedy from one candidate per leak: config switches in the config file, hooks in the polluters' files. */
function build(candidates: readonly Candidate[], input: PatchInput): Remedy | { why: string } {
  const edits: FileEdit[] = []
  const switches = [...new Set(candidates.flatMap((c) => ('config' in c ? Object.keys(c.config) : [])))]
  if (switches.length) {
    const edit = configEdit(input, switches)
    if ('why' in edit) return edit
    edits.push(edit)
  }
  const hooks = candidates.filter((c): c is Extract<Candidate, { code: unknown }> => 'code' in c)
  let placed: readonly Placed[] = []
  if (hooks.length) {
    const rendered = renderHooks(hooks, input)
    if ('why' in rendered) return rendered
    edits.push(...rendered.edits)
    placed = rendered.placed
  }
  return {
    kind: candidates[0]!.kind,
    summary: summaryOf(candidates, input, switches.length ? edits[0]!.path : undefined, placed),
    ...(candidates.some((c) => 'config' in c && c.lastResort) ? { lastResort: true } : {}),
    edits,
  }
}

/**
 * A remedy in one line, as the patch's header and bisect's fix line both say it: the switches (in
 * `configPath` when known), then each hook and the describe it goes into. With `placed` (the hooks
 * as written) the describe is the one the code went into and a `vi.` call is named as the file calls
 * `vi` (`vitest.clearAllMocks()`); without, as the polluter's describe and `vi` would have it.
 */
function summaryOf(
  candidates: readonly Candidate[],
  input: Pick<PatchInput, 'finding' | 'project'>,
  configPath?: string,
  placed: readonly Placed[] = [],
): string {
  const switches = [...new Set(candidates.flatMap((c) => ('config' in c ? Object.keys(c.config) : [])))]
  const hooks = candidates.filter((c): c is Extract<Candidate, { code: unknown }> => 'code' in c)
  const hookSummary = hooks.length ? hooksSaid(hooks, input, placed) : undefined
  const configSummary = switches.length
    ? `${switches.map((s) => `${s}: true`).join(', ')} in the Vitest config${configPath ? ` (${configPath})` : ''}`
    : undefined
  return [configSummary, hookSummary].filter(Boolean).join('; and ')
}

/**
 * The code remedy a patch for this finding tries first (config switches left out: a rerun checks
 * those), said as `flakeseed fix` says it, without reading a file: bisect's fix line, so the two
 * name one remedy. After a config switch that did not help (`configFailed`), the `vi.…All…()` hook
 * that does what it does is passed over too. Undefined when the planner has none for some leak of the cause.
 */
export function firstCodeRemedy(
  input: Pick<PatchInput, 'finding' | 'project' | 'origin' | 'root'> & Partial<Pick<PatchInput, 'projectRoot' | 'read'>>,
  configFailed = false,
): { kind: RemedyKind; summary: string } | undefined {
  const { finding } = input
  if (finding.kind !== 'victim' && finding.kind !== 'brittle') return undefined
  const cause = causeOf(finding.leaks ?? [])
  if (!cause.length || cause.some((l) => l.kind === 'scope' || onlyItsModuleAssigns(l))) return undefined
  const picks = cause.map((leak) =>
    (finding.kind === 'brittle' ? setupCandidates(leak, input) : candidatesFor(leak, input.origin)).find(
      (c) => !('config' in c) && !(configFailed && c.kind.endsWith('-hook')),
    ),
  )
  if (!picks.every((c) => c !== undefined)) return undefined
  // A `vi.…()` call said as the polluter's file would get it written (`vitest.clearAllMocks()`).
  const said = picks.map((c) => ('by' in c && c.summary.startsWith('vi.') ? { ...c, summary: c.summary.replace(/^vi\./, `${viNameOf(c.by, input)}.`) } : c))
  return { kind: picks[0]!.kind, summary: summaryOf(said, input) }
}

/** What a hook in the test's file calls `vi`; `vi` when the file cannot be read. */
function viNameOf(id: string, input: Pick<PatchInput, 'project' | 'root'> & Partial<Pick<PatchInput, 'projectRoot' | 'read'>>): string {
  const { file } = splitId(id, input.project)
  const absolute = isAbsolute(file) ? file : join(input.projectRoot ?? input.root, file)
  const text = input.root || isAbsolute(file) ? readText(input, absolute) : undefined
  const source = text === undefined ? undefined : parseSource(absolute, text)
  return source ? viNameIn(source) : 'vi'
}

/** Each hook's words and where it goes: hooks said alike share their places (`… in describe 'a' of x, describe 'b' of y`). */
function hooksSaid(hooks: readonly HookCandidate[], input: Pick<PatchInput, 'finding' | 'project'>, placed: readonly Placed[]): string {
  const byPlace = new Map<string, string[]>()
  const whole: string[] = []
  for (const hook of hooks) {
    const at = placed.find((p) => p.hook === hook)
    const place = at ? placeText(at.file, at.describe) : placeOf(hook.by, input)
    const summary = at?.vi ? hook.summary.replace(/^vi\./, `${at.vi}.`) : hook.summary
    const said = isDescribe(hook.by, input) ? summary.replace('each test', "the describe's tests") : summary
    if (hook.placed) whole.push(hook.placed(place))
    else byPlace.set(place, [...new Set([...(byPlace.get(place) ?? []), said])])
  }
  const byWords = new Map<string, string[]>()
  for (const [place, words] of byPlace) byWords.set(words.join('; '), [...(byWords.get(words.join('; ')) ?? []), place])
  return [...new Set(whole), ...[...byWords].map(([words, places]) => `${words} in ${places.join(', ')}`)].join('; ')
}

/** `describe 'money' of test/money.test.ts`, or the file for a top-level test. */
function placeOf(id: string, input: Pick<PatchInput, 'finding' | 'project'>): string {
  const { file, name } = splitId(id, input.project)
  const parts = name.split(NAME_SEPARATOR)
  const describeOf = isDescribe(id, input) ? splitId(input.finding.describe!, input.project).name.split(NAME_SEPARATOR).at(-1) : parts.at(-2)
  return describeOf ? `describe '${describeOf}' of ${file}` : file
}

function configEdit(input: PatchInput, switches: readonly string[]): FileEdit | { why: string } {
  if (!input.configFile) return { why: 'no Vitest config file ran the test, so no switch can be set in one' }
  const path = isAbsolute(input.configFile) ? input.configFile : join(input.root, input.configFile)
  const before = readText(input, path)
  const source = before === undefined ? undefined : parseSource(path, before)
  if (!source || before === undefined) return { why: `${editPath(input, path)} cannot be read as a config` }
  const result = setConfigSwitches(source, input.project, switches)
  if ('why' in result) return result
  return { path: editPath(input, path), before, after: applySplices(before, result.splices) }
}

/** `isolate: true` for the victim's project when a culprit ran in another file: the last resort. */
function isolateRemedy(input: PatchInput): Remedy | { why: string } | undefined {
  const { finding } = input
  const victimFile = splitId(finding.victim, input.project).file
  const others = [...finding.polluters, ...finding.stateSetters].some((p) => splitId(p, input.project).file !== victimFile)
  if (!others) return undefined
  const edit = configEdit(input, ['isolate'])
  if ('why' in edit) return edit
  return {
    kind: 'isolate-config',
    summary: `isolate: true in the Vitest config (${edit.path}): each test file in a fresh module graph; the last resort, as the state is still left behind and runs get slower`,
    lastResort: true,
    edits: [edit],
  }
}

function sameEdits(a: readonly FileEdit[], b: readonly FileEdit[]): boolean {
  return a.length === b.length && a.every((e, i) => e.path === b[i]!.path && e.after === b[i]!.after)
}
