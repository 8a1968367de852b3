// What a change touches and who caused a finding (docs/ARCHITECTURE.md, Hunt): pure.
import type { Finding } from '../core/model.js'
import { NAME_SEPARATOR } from '../core/names.js'

/**
 * The new and changed tests of one file: a name the base did not have is new; a name whose call's
 * source text differs from the base's is changed. `base` undefined: the file is new, every test is.
 */
export function changedTests(
  head: ReadonlyArray<{ name: string; text: string }>,
  base: ReadonlyArray<{ name: string; text: string }> | undefined,
): { added: string[]; changed: string[] } {
  if (!base) return { added: head.map((t) => t.name), changed: [] }
  const before = new Map(base.map((t) => [t.name, t.text]))
  const added: string[] = []
  const changed: string[] = []
  for (const t of head) {
    const was = before.get(t.name)
    if (was === undefined) added.push(t.name)
    else if (normalize(was) !== normalize(t.text)) changed.push(t.name)
  }
  return { added, changed }
}

/** Whitespace and line endings do not make a test changed. */
function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

export interface ChangeFacts {
  /** Ids of the tests the change added or changed. */
  fresh: ReadonlySet<string>
  /** Source files (not test files) the change touched, relative to the root, `/`-separated. */
  sources: readonly string[]
  /** Test files whose module graph reaches one of those sources (`file` as in a test id, with `project:` when named), and which. */
  reachingSources: ReadonlyMap<string, readonly string[]>
}

/**
 * Whether the change introduced a finding: a test in it is new or changed; or a new test was
 * confirmed to pollute the victim on its own (`newPolluters`: a second polluter, the bisect having
 * found an older one); or a leak the
 * diagnosis found lives in a source file the change touched; or, when no leak was seen (state
 * nothing outside a module can see), the victim's file reaches a changed source file.
 */
export function introduced(
  finding: Pick<Finding, 'victim' | 'polluters' | 'stateSetters' | 'leaks'>,
  facts: ChangeFacts,
  newPolluters: readonly string[] = [],
): { introduced: boolean; why: string } {
  const tests = [finding.victim, ...finding.polluters, ...finding.stateSetters]
  const fresh = tests.find((t) => facts.fresh.has(t))
  if (fresh) return { introduced: true, why: `${fresh} is new or changed in this change` }
  if (newPolluters.length)
    return {
      introduced: true,
      why: `${newPolluters.join(', ')} ${newPolluters.length === 1 ? 'is' : 'are'} new or changed in this change and ${newPolluters.length === 1 ? 'makes' : 'each make'} it fail when run right before it alone (confirmed); the older ${finding.polluters.join(', ')} ${finding.polluters.length === 1 ? 'does' : 'do'} too`,
    }
  const leaks = finding.leaks ?? []
  const inSource = leaks.find((l) => facts.sources.some((s) => l.what.startsWith(`${s}:`)))
  if (inSource) return { introduced: true, why: `the state it leaves (${inSource.what}) lives in ${inSource.what.split(':')[0]}, which this change touched` }
  const victimFile = finding.victim.split(NAME_SEPARATOR)[0]!
  const reached = facts.reachingSources.get(victimFile)
  if (!leaks.some((l) => l.verified || l.together) && reached)
    return { introduced: true, why: `no state outside a module shows, and ${victimFile} imports ${reached.join(', ')}, which this change touched` }
  return { introduced: false, why: 'pre-existing: none of its tests, and none of the state it leaves, is part of this change' }
}

/**
 * The new tests a failing order ran before the victim with none of the bisect's (older)
 * polluters between them, closest first: each may pollute the victim on its own, which the
 * bisect, having found an older polluter first, did not ask. `together` says whether a test could
 * share the victim's state (its file, with isolation).
 */
export function newBeforeVictim(
  order: readonly string[],
  victim: string,
  polluters: readonly string[],
  fresh: ReadonlySet<string>,
  together: (id: string) => boolean,
): string[] {
  const found: string[] = []
  for (let k = order.indexOf(victim) - 1; k >= 0; k--) {
    const id = order[k]!
    if (!together(id)) continue
    if (polluters.includes(id)) break
    if (fresh.has(id)) found.push(id)
  }
  return found
}
