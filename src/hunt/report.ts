// A hunt's result as it leaves flakeseed: the `hunt --json` document (which the in-run hunt reads
// back), the text both print, and the job summary's section.
import { describeReport } from '../bisect/report.js'
import { plural, visible } from '../core/format.js'
import type { HuntFinding, HuntResult } from './hunt.js'
import { holdsSecret } from '../core/secrets.js'

/** `--json`: `{ base, affected: { files, tests }, runs, findings: [… bisect's fields, introduced, order], seconds }`. */
export function huntJson(r: HuntResult): Record<string, unknown> {
  return {
    base: r.base,
    commit: r.commit,
    affected: r.affected,
    runs: r.runs,
    passedRuns: r.passedRuns,
    probes: r.probes,
    findings: r.findings,
    unblamed: r.unblamed,
    recorded: r.recorded,
    ...(r.cut ? { cut: r.cut } : {}),
    ...(r.seedsHeld ? { seedsHeld: r.seedsHeld } : {}),
    ...(r.files ? { files: r.files } : {}),
    seconds: r.seconds,
  }
}

export function huntText(r: HuntResult): string {
  const lines = [
    `flakeseed hunt: base ${visible(r.base)} (${r.commit.slice(0, 8)}) · ${plural(r.affected.files.length, 'affected test file')}, ${plural(r.affected.tests.length, 'new or changed test')}`,
  ]
  for (const line of r.files ?? []) lines.push(`(${line})`)
  if (!r.affected.files.length) lines.push('the change reaches no test file: nothing to hunt')
  for (const f of r.findings)
    lines.push(
      '',
      describeReport(f),
      whoLine(f),
      ...(f.patch
        ? [holdsSecret(f.patch.diff) ? '(the diff is not shown: lines in it look like they hold a secret)' : f.patch.diff.trimEnd(), `apply: ${f.patch.apply}`]
        : []),
    )
  for (const u of r.unblamed) lines.push('', `${visible(u.test)}: ${u.why}; no other test is blamed for it`)
  const introduced = r.findings.filter((f) => f.introduced).length
  if (r.seedsHeld) lines.push(`(${r.seedsHeld})`)
  if (r.cut) lines.push(`(${r.cut})`)
  if (r.recorded.length) lines.push('', `history: ${r.recorded.length === 1 ? 'run' : 'runs'} ${r.recorded.join(', ')} (hunt; not counted by flaky)`)
  lines.push(
    '',
    `flakeseed hunt: ${r.runs} runs (${r.passedRuns} of ${r.runs} passed)${r.probes ? ` + ${plural(r.probes, 'bisect probe')}` : ''} in ${r.seconds.toFixed(1)} s · ${
      r.findings.length
        ? `${introduced} introduced by this change, ${r.findings.length - introduced} pre-existing`
        : r.cut
          ? 'no order dependency found before the budget ran out'
          : 'no order dependency found'
    }`,
  )
  return lines.join('\n')
}

function whoLine(f: HuntFinding): string {
  return f.introduced
    ? `cause    introduced by this change: ${visible(f.why)} (found by the ${f.order} order)`
    : `cause    ${visible(f.why)} (found by the ${f.order} order; not failing the build for it)`
}

/** The job summary's section: the findings in a fenced block, and the outcome. */
export function huntMarkdown(r: HuntResult): string {
  const introduced = r.findings.filter((f) => f.introduced).length
  const head = introduced
    ? `### flakeseed hunt: ${plural(introduced, 'order dependency', 'order dependencies')} introduced by this change`
    : '### flakeseed hunt: no order dependency introduced by this change'
  const text = huntText(r)
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length))
  const fence = '`'.repeat(longest + 1)
  return `\n${head}\n\n${fence}text\n${text}\n${fence}\n`
}
