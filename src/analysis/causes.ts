// One cause, many victims: tests whose findings name the same polluters are one thing to fix, not
// several. `flaky`, the HTML report and `bisect` group them under their cause.
import { fixText, visible } from '../core/format.js'

/** The polluters several victims share, and those victims. */
export interface CauseGroup {
  polluters: string[]
  victims: string[]
  /** A fix bisect verified on one of the victims (the others were checked against the polluters only). */
  fix?: { suggestion: string; victim: string; how?: string }
}

type Item = { test: string; finding?: { kind: string; polluters: readonly string[]; fix?: { suggestion: string; verified: boolean; how?: string } } | null }

/**
 * Victims grouped by their exact set of polluters (a group needs two victims at least), in the
 * order their first victim comes in `items`; the victims keep that order too.
 */
export function causeGroups(items: readonly Item[]): CauseGroup[] {
  const groups = new Map<string, CauseGroup>()
  for (const { test, finding } of items) {
    if (finding?.kind !== 'victim' || !finding.polluters.length) continue
    const key = JSON.stringify([...finding.polluters].sort())
    const group = groups.get(key) ?? { polluters: [...finding.polluters], victims: [] }
    if (!group.victims.includes(test)) group.victims.push(test)
    if (!group.fix && finding.fix?.verified)
      group.fix = { suggestion: finding.fix.suggestion, victim: test, ...(finding.fix.how ? { how: finding.fix.how } : {}) }
    groups.set(key, group)
  }
  return [...groups.values()].filter((g) => g.victims.length > 1)
}

/** `1 polluter, 3 victims: fix once`; several polluters fail the victims only together. */
export function causeHeader(group: CauseGroup): string {
  const polluters = group.polluters.length === 1 ? '1 polluter' : `${group.polluters.length} polluters together`
  return `${polluters}, ${group.victims.length} victims: fix once`
}

/** The group as text: its header, then the polluters and the victims, ids whole (they are there to be read). */
export function causeBlock(group: CauseGroup): string[] {
  return [
    causeHeader(group),
    ...group.polluters.map((p) => `  polluter ${visible(p)}`),
    ...group.victims.map((v) => `  victim   ${visible(v)}`),
    ...(group.fix ? [`  fix      ${fixLine(group.fix)}`] : []),
  ]
}

/** `vi.useRealTimers() after each test in test/p.test.ts; verified on test/a.test.ts > a by undoing the leak, …`: what was verified, and where. */
export function fixLine(fix: NonNullable<CauseGroup['fix']>): string {
  return fixText({ suggestion: visible(fix.suggestion), verified: true, how: fix.how }, undefined, visible(fix.victim))
}

/** After bisect's findings (`--json`'s shape): victims of the same polluters under their cause, one block each. */
export function causeSummary(
  reports: ReadonlyArray<{ victim: string; kind: string; polluters: readonly string[]; fix?: { suggestion: string; verified: boolean; how?: string } }>,
): string[] {
  return causeGroups(reports.map((r) => ({ test: r.victim, finding: r }))).map((g) => `${causeBlock(g).join('\n')}\n`)
}
