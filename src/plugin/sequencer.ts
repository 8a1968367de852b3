// The file sequencer (main process). Vitest shards first (by a hash of the path, independent of
// the seed), then asks us to sort: every shard runs its own files in seeded order.
import { BaseSequencer, type TestSpecification, type TestSequencerConstructor } from 'vitest/node'
import { fileId } from '../core/names.js'
import { sortByKey } from '../core/order.js'
import type { Session } from './session.js'
import { isTypecheckSpec, specId } from './spec.js'

/** Vitest constructs the sequencer itself (`new Sequencer(vitest)`), so the session comes by closure. */
export function createSequencer(session: Session): TestSequencerConstructor {
  return class FlakeseedSequencer extends BaseSequencer {
    override async sort(specs: TestSpecification[]): Promise<TestSpecification[]> {
      const plan = session.plan
      // Type checks (tsc over whole files) have no order to shuffle: they keep Vitest's, after the rest.
      const runs = specs.filter((spec) => !isTypecheckSpec(spec))
      if (!plan) return [...sortByKey(runs, session.seed, specId), ...specs.filter(isTypecheckSpec)]
      // Replay and bisect: exactly the plan's files, in the plan's order (a type check is in no plan).
      const position = new Map(plan.files.map((f, i) => [fileId(f.project, f.file), i]))
      return runs.filter((spec) => position.has(specId(spec))).sort((a, b) => position.get(specId(a))! - position.get(specId(b))!)
    }
  }
}
