// From a diagnosed finding to patches: the remedies for its cause, smallest first.
import type { PatchInput, PatchPlan } from './types.js'

/** The remedies for a finding's cause, smallest first, or why there is none. */
export async function planPatches(input: PatchInput): Promise<PatchPlan> {
  return { none: `no patch for ${input.finding.victim} yet` }
}
