// Quarantined tests as the reporter sees them: the runner left `quarantine` in a test's meta
// (with the errors, when it failed and Vitest was told it passed). Every quarantined failure is
// recorded as the failure it is and printed as quarantined; none goes unseen.
import type { TestCase, TestModule } from 'vitest/node'
import { plural, visible } from '../src/core/format.js'
import { type ModuleTests, moduleTests, testId, toPosix } from '../src/core/names.js'
import type { TestMeta } from '../src/worker/context.js'

export type QuarantineMeta = NonNullable<TestMeta['quarantine']>

export interface QuarantinedOutcome {
  test: string
  reason: string
  state: 'passed' | 'failed'
  /** The first error's message, first line (failed only). */
  error: string | null
}

/** The quarantine the runner left on a test, if it was quarantined. */
export function quarantineOf(test: TestCase): QuarantineMeta | undefined {
  return (test.meta() as { flakeseed?: TestMeta }).flakeseed?.quarantine
}

/** The quarantined tests of a module that ran (passed, or failed and released); `tests` are its `moduleTests`. */
export function quarantinedOutcomes(module: TestModule, tests: ModuleTests = moduleTests(module)): QuarantinedOutcome[] {
  const file = toPosix(module.relativeModuleId)
  const out: QuarantinedOutcome[] = []
  for (const { name, test } of tests) {
    const q = quarantineOf(test)
    // Released by the runner (its errors kept), or passed. A quarantined test Vitest still calls
    // failed was not released (a hook failed it): it fails the run like any other failure.
    const failed = Boolean(q?.errors?.length)
    if (!q || (!failed && test.result().state !== 'passed')) continue
    const first = (q.errors?.[0] as { message?: string } | undefined)?.message
    out.push({
      test: testId(module.project.name, file, name),
      reason: q.reason,
      state: failed ? 'failed' : 'passed',
      error: failed ? (first ?? '').split('\n')[0]! : null,
    })
  }
  return out
}

/** Failures listed one per line; the rest are counted. */
const LISTED = 10

/**
 * `flakeseed quarantine: 1 failed, 2 passed (…)`, then `quarantined  <test>  failed (reason)`
 * and its error for each failure. Nothing when no quarantined test ran.
 */
export function quarantineLines(outcomes: readonly QuarantinedOutcome[]): string[] {
  if (!outcomes.length) return []
  const failed = outcomes.filter((o) => o.state === 'failed')
  const passed = outcomes.length - failed.length
  const counts = [failed.length ? `${failed.length} failed` : '', passed ? `${passed} passed` : ''].filter(Boolean).join(', ')
  const lines = [
    `flakeseed quarantine: ${plural(outcomes.length, 'quarantined test')} ran, ${counts}${failed.length ? ' (a quarantined failure does not fail the run)' : ''}`,
  ]
  for (const o of failed.slice(0, LISTED)) {
    lines.push(`  quarantined  ${visible(o.test)}  failed (${visible(o.reason)})`)
    if (o.error) lines.push(`               ${visible(o.error)}`)
  }
  if (failed.length > LISTED) lines.push(`  … and ${failed.length - LISTED} more quarantined failures`)
  return lines
}
