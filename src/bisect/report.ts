// A bisect finding as it leaves flakeseed: the JSON document `bisect --json` prints (and the
// end-of-run bisect hands back from its process), and the text both print from that document.
import { fixText, leakClaim, leakText, plural, visible } from '../core/format.js'
import type { Finding, Leak } from '../core/model.js'

/** One victim's result, as `bisect --json` prints it. */
export interface BisectReport
  extends Pick<
    Finding,
    | 'victim'
    | 'kind'
    | 'stateSetters'
    | 'cleaners'
    | 'probes'
    | 'probesToFind'
    | 'failures'
    | 'passingOrders'
    | 'interrupted'
    | 'leaks'
    | 'noLeak'
    | 'fix'
    | 'diagnosisProbes'
  > {
  /** The describe block when its hooks are the cause (`pollutingTests` then names the tests). */
  polluters: string[]
  pollutingTests?: string[]
  /** Set when the polluters another victim's bisect found were checked on this one (no bisect of its own). */
  explainedBy?: string
  command: string
  /** `npx flakeseed fix RUN --test VICTIM`: the fix written as a patch and verified, when `fix` can write it. */
  patchCommand?: string
  seconds: number
}

export function reportOf(f: Finding & { command: string; seconds: number; explainedBy?: string; patchCommand?: string }): BisectReport {
  return {
    victim: f.victim,
    kind: f.kind,
    polluters: f.describe ? [f.describe] : f.polluters,
    stateSetters: f.stateSetters,
    cleaners: f.cleaners,
    probes: f.probes,
    ...(f.probesToFind !== undefined && f.probesToFind < f.probes ? { probesToFind: f.probesToFind } : {}),
    command: f.command,
    ...(f.patchCommand ? { patchCommand: f.patchCommand } : {}),
    ...(f.describe ? { pollutingTests: f.polluters } : {}),
    ...(f.failures ? { failures: f.failures } : {}),
    ...(f.passingOrders !== undefined ? { passingOrders: f.passingOrders } : {}),
    ...(f.interrupted ? { interrupted: true } : {}),
    ...(f.leaks ? { leaks: f.leaks } : {}),
    ...(f.noLeak ? { noLeak: f.noLeak } : {}),
    ...(f.fix ? { fix: f.fix } : {}),
    ...(f.diagnosisProbes !== undefined ? { diagnosisProbes: f.diagnosisProbes } : {}),
    ...(f.explainedBy ? { explainedBy: f.explainedBy } : {}),
    seconds: f.seconds,
  }
}

/** Leaks listed at most, the rest counted. */
const LEAKS_LISTED = 6

/** The text `bisect` prints for one victim. */
export function describeReport(r: BisectReport): string {
  if (r.explainedBy) return describeExplained(r)
  const lines = [`victim   ${visible(r.victim)}`]
  const culprits = r.pollutingTests ?? r.polluters
  const found = r.probesToFind !== undefined ? ` (${r.probesToFind} to find ${culprits.length + r.stateSetters.length === 1 ? 'it' : 'them'})` : ''
  const stats = `${plural(r.probes, 'probe')}${found}, ${r.seconds.toFixed(1)} s`
  if (r.interrupted && r.kind !== 'victim' && r.kind !== 'brittle') {
    lines.push(`class    unknown: interrupted before the search began (${stats})`)
    return lines.join('\n')
  }
  switch (r.kind) {
    case 'victim': {
      const describe = r.pollutingTests ? r.polluters[0] : undefined
      lines.push(
        `class    order-dependent: fails after ${culprits.length === 1 ? 'this test' : `these ${culprits.length} tests together`}, passes alone (${stats})`,
      )
      if (describe) lines.push(`polluter ${visible(describe)} (the describe block: its hooks or shared state; every test of it pollutes)`)
      for (const p of culprits) lines.push(`${describe ? '  via  ' : 'polluter'} ${visible(p)}`)
      break
    }
    case 'brittle':
      lines.push(`class    brittle: fails alone, passes after ${r.stateSetters.length === 1 ? 'this test' : 'these tests'} (${stats})`)
      for (const s of r.stateSetters) lines.push(`setter   ${visible(s)}`)
      break
    case 'independent':
      lines.push(
        r.passingOrders
          ? `class    independent: fails alone and no earlier test makes it pass; not order-dependent (${stats})`
          : `class    independent: fails alone; no other test could share its process to try; not order-dependent as far as the history shows (${stats})`,
      )
      break
    case 'nod':
      lines.push(
        `class    non-deterministic: the same order both passed and failed${r.failures ? ` (${r.failures.failed}/${r.failures.runs} failed)` : ''}; no test is to blame (${stats})`,
      )
      break
    case 'not-reproduced':
      lines.push(`class    not reproduced: the recorded order passed ${r.failures?.runs ?? 0} times; likely non-deterministic (${stats})`)
      break
  }
  lines.push(...diagnosisLines(r))
  for (const c of r.cleaners) lines.push(`cleaner  ${visible(c)}`)
  if (r.fix) lines.push(`fix      ${fixText(r.fix, r.kind)}`)
  if (r.fix && r.patchCommand) lines.push(`patch    ${r.patchCommand}`)
  if (r.interrupted) lines.push('(interrupted: the smallest set found so far)')
  lines.push(`reproduce: ${r.command}`)
  return `${lines.join('\n')}\n`
}

/** What the culprits left behind: the cause first, then what else they left. */
function diagnosisLines(r: BisectReport): string[] {
  const lines: string[] = []
  const brittle = r.kind === 'brittle'
  // The cause first (alone, then a group verified together), then what else was left behind.
  const rankOf = (l: Leak) => (l.verified ? 0 : l.together ? 1 : l.kind === 'scope' ? 2 : 3)
  const leaks = [...(r.leaks ?? [])].sort((a, b) => rankOf(a) - rankOf(b))
  for (const leak of leaks.slice(0, LEAKS_LISTED)) {
    const cause = leak.verified || leak.together || leak.kind === 'scope'
    lines.push(
      `${cause ? (brittle ? 'needs   ' : 'leaked  ') : 'also    '} ${leakText(leak)}   ${cause ? leakClaim(leak, r.kind) : `(${leakClaim(leak, r.kind)})`}`,
    )
  }
  if (leaks.length > LEAKS_LISTED) lines.push(`also     … and ${leaks.length - LEAKS_LISTED} more (--json lists them)`)
  if (r.noLeak && !leaks.length) lines.push(`leaked   nothing visible: ${r.noLeak.replace(/^no leak visible: /, '')}`)
  return lines
}

/** A victim checked against the polluters another victim's bisect found: what its probes showed. */
function describeExplained(r: BisectReport): string {
  // The describe block, when its hooks are the cause: what was checked is the same polluters.
  const culprits = r.polluters
  const lines = [
    `victim   ${visible(r.victim)}`,
    `class    order-dependent: fails after the ${culprits.length === 1 ? 'polluter' : 'polluters'} of ${visible(r.explainedBy ?? '')}, passes alone; checked, not bisected (${r.probes} probe${r.probes === 1 ? '' : 's'}, ${r.seconds.toFixed(1)} s)`,
    ...culprits.map((p) => `polluter ${visible(p)}`),
    `reproduce: ${r.command}`,
  ]
  return `${lines.join('\n')}\n`
}
