// What tests read back from the CLI and the ordering rule: the JSON shapes of `runs` and `show`,
// seeds that put tests in a wanted order, git in a fixture, one-line errors, pasting a printed
// command into a shell.
import { execFileSync, execSync } from 'node:child_process'
import { join } from 'node:path'
import { expect } from 'vitest'
import { causeSummary } from '../../src/analysis/causes.js'
import { type BisectReport, describeReport } from '../../src/bisect/report.js'
import { testId } from '../../src/core/names.js'
import { sortByKey } from '../../src/core/order.js'
import type { Project } from './project.js'

/** `runs --json`: one row per logical run. */
export interface RunJson {
  id: number
  uuid: string
  seed: string
  commit: string | null
  status: string
  kind: string
  passed: number
  failed: number
  skipped: number
  startedAt: string
  runs: number[]
  shards: number
  shard: string | null
}

/** `show --json`: the run, then its files and tests in executed order. */
export interface ShowJson {
  run: { id: number; seed: string; status: string; shard: string | null; kind: string }
  shards?: Array<{ id: number; shard: string; status: string }>
  files: Array<{
    project: string
    file: string
    index: number
    run?: number
    shard?: string
    tests: Array<{ name: string; state: string; index: number; error: string | null; worker: number | null }>
  }>
}

/** The first seed whose order of `ids` (by the ordering rule, nothing run) satisfies `ok`. */
export function seedWhere(ids: readonly string[], ok: (order: string[]) => boolean, from = 1): string {
  for (let s = from; s < from + 10_000; s++) if (ok(sortByKey(ids, String(s), (x) => x))) return String(s)
  throw new Error('no seed found')
}

/**
 * Seeds under which `file`'s describes run in an order `ok` accepts (describes sort by the same key
 * as tests; `ok` gets the describe names).
 */
export function describeSeeds(file: string, describes: readonly string[], ok: (order: string[]) => boolean, count: number): string[] {
  const ids = describes.map((d) => testId('', file, d))
  return seedsWhere(ids, (o) => ok(o.map((id) => id.slice(`${file} > `.length))), count)
}

/** The first `count` seeds whose order of `ids` satisfies `ok`. */
export function seedsWhere(ids: readonly string[], ok: (order: string[]) => boolean, count: number): string[] {
  const found: string[] = []
  for (let s = 1; found.length < count; s++) {
    if (s > 100_000) throw new Error('not enough seeds found')
    if (ok(sortByKey(ids, String(s), (x) => x))) found.push(String(s))
  }
  return found
}

/** `a` comes before `b` in `order`. */
export const runsBefore = (order: readonly string[], a: string, b: string): boolean => order.indexOf(a) < order.indexOf(b)

/** git in the fixture's folder. */
export function git(project: Project, ...args: string[]): string {
  return execFileSync('git', args, { cwd: project.dir, encoding: 'utf8' }).trim()
}

/** Makes the fixture a git repository with a first commit of everything in it; its sha. */
export function gitInit(project: Project): string {
  git(project, 'init', '-q', '-b', 'main')
  git(project, 'config', 'user.email', 'test@example.com')
  git(project, 'config', 'user.name', 'test')
  return gitCommit(project, 'init')
}

/** Commits everything; the new sha. */
export function gitCommit(project: Project, message: string): string {
  git(project, 'add', '-A')
  git(project, 'commit', '-qm', message, '--allow-empty')
  return git(project, 'rev-parse', 'HEAD')
}

/** Exit 2, nothing on stdout, exactly one `flakeseed: …` line on stderr and no stack. */
export function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }, message: RegExp | string): void {
  expect(result.code, result.stderr).toBe(2)
  expect(result.stdout).toBe('')
  const lines = result.stderr.split('\n').filter(Boolean)
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^flakeseed: /)
  expect(lines[0]).toMatch(message)
  expect(result.stderr).not.toMatch(/\n\s+at /)
}

/** Runs a printed command in a shell in the fixture's folder, as a user pasting it would. */
export function paste(project: Project, command: string, env: NodeJS.ProcessEnv = {}): { code: number; out: string } {
  try {
    const out = execSync(command, {
      cwd: project.dir,
      encoding: 'utf8',
      stdio: 'pipe',
      shell: '/bin/bash',
      env: { ...process.env, ...env, PATH: `${join(project.dir, 'node_modules/.bin')}:${process.env.PATH}`, NO_COLOR: '1' },
    })
    return { code: 0, out }
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string }
    return { code: e.status, out: `${e.stdout}${e.stderr}` }
  }
}

/**
 * What `bisect` without --json prints for one victim, from the document `bisect --json` printed:
 * its block, then the cause summary, as cli/bisect.ts prints them (claims.test.ts checks the two
 * agree). One bisect then gives a test both.
 */
export function textOf(finding: object): string {
  const report = finding as BisectReport
  return [describeReport(report), ...causeSummary([report])].join('\n')
}
