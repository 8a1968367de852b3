// The lines flakeseed prints into Vitest's output: one when a run starts and one when it ends,
// each with what it takes to get the run back.
import { plural } from '../src/core/format.js'

export interface StartFacts {
  seed: string
  runId: number | undefined
  projects: number
  files: number
  /** Running a replay or bisect plan rather than a seeded order. */
  replaying: boolean
  /** The replay command (printed at the start too: a CI job killed by its timeout never prints the end). */
  replay: string | undefined
}

/** `flakeseed seed 1183 · run 57 · 2 projects · 52 files shuffled · replay: npx flakeseed replay 57` */
export function startLine(f: StartFacts): string {
  const parts = [`flakeseed seed ${f.seed}`]
  if (f.runId !== undefined) parts.push(`run ${f.runId}`)
  if (f.projects > 1) parts.push(`${f.projects} projects`)
  parts.push(`${plural(f.files, 'file')} ${f.replaying ? 'in replay order' : 'shuffled'}`)
  if (f.replay) parts.push(`replay: ${f.replay}`)
  return parts.join(' · ')
}

/** Says what becomes of Vitest's typecheck pool: `flakeseed: 2 files type-checked by tsc: …`. */
export function typecheckLine(files: number): string {
  return `flakeseed: ${plural(files, 'file')} type-checked by tsc: recorded as (typecheck) tests, not shuffled`
}

export interface EndFacts {
  seed: string
  runId: number | undefined
  /** Failures that fail the run. */
  failed: number
  /** Quarantined tests that failed (they do not fail the run). */
  quarantinedFailed: number
  status: string
  replay: string
  bisect: string | undefined
}

/**
 * `flakeseed run 57 · seed 1183 · 2 failed · 1 quarantined failed · replay: …`, and the bisect
 * command when tests failed.
 */
export function endLines(f: EndFacts): string[] {
  const parts = [f.runId !== undefined ? `flakeseed run ${f.runId}` : 'flakeseed', `seed ${f.seed}`]
  // `failed` with no failed test: an error outside tests (a hook, a file that did not load).
  parts.push(f.failed ? `${f.failed} failed` : f.status === 'passed' ? 'passed' : f.status)
  if (f.quarantinedFailed) parts.push(`${f.quarantinedFailed} quarantined failed`)
  parts.push(`replay: ${f.replay}`)
  const lines = [parts.join(' · ')]
  if (f.bisect) lines.push(`flakeseed bisect: ${f.bisect}`)
  return lines
}
