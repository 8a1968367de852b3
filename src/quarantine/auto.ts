// The quarantine's `auto` policy: the tests whose class in the history is one a run's options name,
// added to its rules. Loaded only when the options name classes (src/plugin/index.ts): it reads the
// history with the `flaky` window and its analysis, which a run without `auto` never needs.
import { existsSync } from 'node:fs'
import { analyse, executionKeys } from '../analysis/flakiness.js'
import { someOf, visible } from '../core/format.js'
import { matchesPattern } from '../core/names.js'
import type { AutoClass } from '../plugin/options.js'
import { LISTED, type RunQuarantine } from './apply.js'
import { flakyWindow } from '../store/flaky.js'
import { Store } from '../store/index.js'
import { firstLine } from '../core/errors.js'

export type AddAuto = typeof addAuto

/** Tests whose class in the history is one of `classes`, unless listed already. */
export function addAuto(result: RunQuarantine, classes: readonly AutoClass[], db: { path: string; timeout: number }): void {
  if (!existsSync(db.path)) return
  let rows: ReturnType<typeof analyse>
  try {
    const store = Store.open(db.path, { readonly: true, timeout: db.timeout })
    try {
      rows = analyse(flakyWindow(store, { orderKeys: executionKeys }).histories)
    } finally {
      store.close()
    }
  } catch (error) {
    const message = firstLine(error).replace(/^flakeseed: /, '')
    result.warnings.push(`flakeseed: quarantine auto: cannot read the history (${message}); no test is quarantined by its class`)
    return
  }
  const listed = (id: string) => result.rules.some((r) => matchesPattern(r, id))
  // A brittle test (passes only after its state setter) is order-dependent: `auto` by that class takes it too.
  const auto = (cls: string) => (classes as readonly string[]).includes(cls === 'brittle' ? 'order-dependent' : cls)
  const added = rows.filter((r) => auto(r.class) && !listed(r.test))
  if (!added.length) return
  for (const r of added) result.rules.push({ test: r.test, reason: `auto: ${r.class}, ${r.reason}` })
  result.notes.push(
    `flakeseed quarantine auto (${classes.join(', ')}): ${added.length === 1 ? '1 test quarantined by its class' : `${added.length} tests quarantined by their class`} in the history: ${someOf(
      added.map((r) => `${visible(r.test)} (${r.class})`),
      LISTED,
    )}`,
  )
}
