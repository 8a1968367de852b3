// A Vitest test file's identity, shared by the sequencer and the plan executor. Kept apart from
// sequencer.ts because that one loads vitest/node (BaseSequencer): importing it from here would
// make every CLI command, `runs` and `show` included, pay for loading Vitest.
import { relative } from 'node:path'
import type { TestSpecification } from 'vitest/node'
import { fileId, toPosix } from '../core/names.js'

/** `file` of a spec: relative to its project's root, `/`-separated, as Vitest names the file task. */
export function specFile(spec: TestSpecification): string {
  return toPosix(relative(spec.project.config.root, spec.moduleId))
}

export function specId(spec: TestSpecification): string {
  return fileId(spec.project.name, specFile(spec))
}

/**
 * A spec of the typecheck pool: tsc checks its file, nothing runs it. Vitest 4.1.12 names the
 * pool `typescript` when it globs (`chunks/cli-api.B0Pz1_R7.js:11524`) and `typecheck` in a
 * reported module's `toTestSpecification()` (`:11927`): both are taken.
 */
export function isTypecheckSpec(spec: TestSpecification): boolean {
  const pool: string = spec.pool
  return pool === 'typescript' || pool === 'typecheck'
}
