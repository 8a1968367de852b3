// A brittle test and the victims of its setter, patched as one (yup: `should set a new locale`
// calls `setLocale(dict)`, which a brittle test needs and two others are broken by). The brittle
// test is patched first, told which of what its setter leaves breaks the run's other victims
// (`PatchInput.undo`): its patch then sets its own state up and restores the setter's change after
// the setter. Those victims take that patch, verified with them by the run's combined check.
import type { Finding, RecordedTest } from '../core/model.js'
import { idOf } from '../core/names.js'
import type { Attempt, VerifiedPatch } from './attempt.js'

/** The same test in any project: file and name. */
function testKey(order: readonly RecordedTest[]): (id: string) => string {
  const keys = new Map(order.map((t) => [idOf(t), `${t.file}\u0000${t.name}`]))
  return (id) => keys.get(id) ?? id
}

/** The brittle findings first (their patches may fix the victims of their setters), else in the run's order. */
export function brittleFirst<T extends { finding?: Finding }>(entries: readonly T[]): T[] {
  return [...entries.filter((e) => e.finding?.kind === 'brittle'), ...entries.filter((e) => e.finding?.kind !== 'brittle')]
}

/** What a brittle test's setters left that it needs and that, as other findings show, breaks their victims. */
export function undoFor(finding: Finding, findings: readonly Finding[], order: readonly RecordedTest[]): string[] {
  if (finding.kind !== 'brittle') return []
  const key = testKey(order)
  const setters = new Set(finding.stateSetters.map(key))
  const needs = new Set((finding.leaks ?? []).filter((l) => l.verified || l.together).map((l) => l.what))
  const broken = findings
    .filter((f) => f.kind === 'victim')
    .flatMap((f) => (f.leaks ?? []).filter((l) => l.verified && setters.has(key(l.by)) && needs.has(l.what)).map((l) => l.what))
  return [...new Set(broken)]
}

/**
 * The verified patch of a brittle test that restores exactly what broke this victim after exactly
 * its polluters (the same tests, in any project), if any: the victim takes it.
 */
export function setterPatch(
  attempts: readonly Attempt[],
  findings: ReadonlyMap<string, Finding>,
  finding: Finding,
  undone: ReadonlyMap<string, readonly string[]>,
  order: readonly RecordedTest[],
): VerifiedPatch | undefined {
  if (finding.kind !== 'victim') return undefined
  const key = testKey(order)
  const cause = (finding.leaks ?? []).filter((l) => l.verified)
  if (!cause.length) return undefined
  for (const a of attempts) {
    if (!('patch' in a) || a.patch.kind !== 'call-setup') continue
    const brittle = findings.get(a.patch.victim)
    const restores = undone.get(a.patch.victim) ?? []
    if (!brittle || !restores.length) continue
    const setters = new Set(brittle.stateSetters.map(key))
    if (finding.polluters.every((p) => setters.has(key(p))) && cause.every((l) => restores.includes(l.what))) return a.patch
  }
  return undefined
}
