// What the `fix` tests share: a fixture's failing run recorded, the JSON `fix` prints, the checks
// that a printed diff applies and that seeds pass after --apply.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedsWhere } from './cli.js'
import { config, createProject, type Files, type Project } from './project.js'

/** `fix --json`: the verified patches and the failures left unpatched, with why. */
export interface FixJson {
  patches: Array<{
    victim: string
    polluters: string[]
    leak: string | null
    files: string[]
    diff: string
    verified: string
    checks: { failsWithout: boolean; passesWith: boolean; seeds: number; tests: number }
    seconds: number
  }>
  unpatched: Array<{ victim: string; why: string }>
}

/** A fixture with a failing run recorded: the polluter ran before the victim under `seeds[0]`. */
export async function failingRun(
  files: Files,
  file: string,
  polluter: string,
  victim: string,
  others: string[],
  count = 1,
): Promise<{ project: Project; seeds: string[] }> {
  const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...files })
  const ids = [polluter, victim, ...others].map((name) => testId('', file, name))
  const seeds = seedsWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!), count)
  const run = await project.runVitest([], { FLAKESEED_SEED: seeds[0]! })
  expect(run.code, run.output).toBe(1)
  return { project, seeds }
}

/** `vitest run` under each seed: every one passes. */
export async function expectSeedsPass(project: Project, seeds: readonly string[]): Promise<void> {
  for (const seed of seeds) {
    const run = await project.runVitest([], { FLAKESEED_SEED: seed })
    expect(run.code, `seed ${seed}: ${run.output}`).toBe(0)
  }
}

/** The printed diff applies from the project root. */
export function expectApplies(project: Project, diff: string): void {
  const path = join(project.dir, '..', `${Date.now()}.diff`)
  writeFileSync(path, diff)
  execFileSync('git', ['apply', '--check', path], { cwd: project.dir, stdio: 'pipe' })
}
