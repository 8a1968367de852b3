// Whether a stored verified patch is still ready to apply: its files hold the bytes it was
// verified on (ready), the bytes it writes (applied), or something else (stale: run fix again).
// `flaky` and the HTML report say "patch ready" only for the first.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { type CommandOptions, fixCommand } from '../core/commands.js'
import { location } from '../run/selection.js'
import type { Store } from '../store/index.js'
import { ALL_VICTIMS, latestPatches, type StoredPatch } from '../store/patches.js'

export type PatchState = 'ready' | 'applied' | 'stale'

export interface PatchNote {
  run: number
  summary: string
  state: PatchState
  /** `npx flakeseed fix RUN --test VICTIM --apply` (only when ready). */
  apply?: string
}

/** The first file the verification ran (besides the patched ones) whose bytes changed since, or that is gone. */
export function changedInput(root: string, inputs: StoredPatch['inputs']): string | undefined {
  for (const [path, hash] of Object.entries(inputs ?? {})) {
    let now: string | undefined
    try {
      // Not verify.ts's sha256: `flaky` and the report load this file, and verify.ts loads the parser.
      now = createHash('sha256')
        .update(readFileSync(resolve(root, path)))
        .digest('hex')
    } catch {}
    if (now !== hash) return path
  }
  return undefined
}

export function patchState(root: string, edits: StoredPatch['edits'], inputs?: StoredPatch['inputs']): PatchState {
  const texts = edits.map((e) => {
    try {
      return readFileSync(resolve(root, e.path), 'utf8')
    } catch {
      return undefined
    }
  })
  if (edits.every((e, k) => texts[k] === e.before)) return changedInput(root, inputs) === undefined ? 'ready' : 'stale'
  if (edits.every((e, k) => texts[k] === e.after)) return 'applied'
  return 'stale'
}

/** Per victim, its newest verified patch and whether it still applies. */
export function patchNotes(store: Store, options: CommandOptions = {}): Map<string, PatchNote> {
  const notes = new Map<string, PatchNote>()
  const roots = new Map<number, string>()
  for (const [victim, patch] of latestPatches(store)) {
    if (victim === ALL_VICTIMS) continue
    let root = roots.get(patch.runId)
    if (root === undefined) {
      try {
        root = location(store.resolveRun(String(patch.runId))).root
      } catch {
        continue
      }
      roots.set(patch.runId, root)
    }
    const state = patchState(root, patch.edits, patch.inputs)
    const apply = state === 'ready' ? fixCommand(patch.runId, { test: victim, apply: true, ...options }) : undefined
    notes.set(victim, { run: patch.runId, summary: patch.summary, state, ...(apply ? { apply } : {}) })
  }
  return notes
}
