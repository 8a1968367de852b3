// Vitest's typecheck mode end to end: with `typecheck.enabled` every test file runs twice, once
// in a worker and once through tsc (the `typecheck` pool), under the same test names. flakeseed
// records the type checks as tests of their own (`(typecheck):file > name`), counts their failures
// as Vitest does, and never shuffles, replays or bisects them.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { runsBefore, seedWhere, type RunJson, type ShowJson } from '../helpers/cli.js'
import { config, createProject, type Project, REPO, type RunResult } from '../helpers/project.js'

/** Vitest's warning when the typecheck pool starts. */
const TYPECHECK_WARNING = /Testing types with tsc/
/** Vitest 5 still prints its typecheck warning in some replays (it reads the option before the plugin turns it off); the replay runs no type check either way. */
const WARNS_IN_REPLAY = (JSON.parse(readFileSync(join(REPO, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version.startsWith('5.')

const TYPECHECK = `typecheck: { enabled: true, include: ['*.test.ts'] }`

/** `test` options: the root's by default. */
function typecheckProject(test = `isolate: false, fileParallelism: false, ${TYPECHECK}`): Project {
  return createProject({
    'vitest.config.ts': config('', test),
    'tsconfig.json': JSON.stringify({
      compilerOptions: { strict: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', noEmit: true, skipLibCheck: true },
      include: ['*.ts'],
    }),
    'a.test.ts': [`import { test } from 'vitest'`, `test('polluter', () => { (globalThis as { flag?: boolean }).flag = true })`, ''].join('\n'),
    // `victim` passes at run time unless the polluter ran before it, and is a type error whatever the order.
    'b.test.ts': [
      `import { expect, test } from 'vitest'`,
      `test('victim', () => {`,
      `  const n: number = 'x' as unknown as string`,
      `  expect((globalThis as { flag?: boolean }).flag).toBeUndefined()`,
      `})`,
      `test('fine', () => { expect(2).toBe(2) })`,
      '',
    ].join('\n'),
  })
}

/** Vitest's own summary line: `Tests  2 failed | 4 passed (6)`. */
function vitestCounts(run: RunResult): { passed: number; failed: number } {
  const line = /Tests {2}(.*)\(\d+\)/.exec(run.stdout)?.[1] ?? ''
  return { passed: Number(/(\d+) passed/.exec(line)?.[1] ?? 0), failed: Number(/(\d+) failed/.exec(line)?.[1] ?? 0) }
}

const states = (show: ShowJson) =>
  show.files.map((f) => ({ project: f.project, file: f.file, tests: Object.fromEntries(f.tests.map((t) => [t.name, t.state])) }))

describe('typecheck mode', () => {
  test('type checks are recorded as their own tests, their failures counted, never shuffled, replayed or bisected', async () => {
    const project = typecheckProject()
    const ids = ['a.test.ts', 'b.test.ts']

    // The polluter runs after the victim: at run time everything passes; tsc still fails the victim.
    const clean = await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, 'b.test.ts', 'a.test.ts')) })
    expect(clean.code, clean.output).toBe(1)
    expect(clean.output).not.toMatch(/flakeseed: bug/)
    expect(clean.stdout).toMatch(/flakeseed seed \d+ · run 1 · 2 files shuffled ·/)
    expect(clean.stdout).toContain('flakeseed: 2 files type-checked by tsc: recorded as (typecheck) tests, not shuffled')
    const [first] = await project.runCliJson<RunJson[]>(['runs'])
    expect({ passed: first!.passed, failed: first!.failed }).toEqual(vitestCounts(clean))
    expect(vitestCounts(clean)).toEqual({ passed: 5, failed: 1 })
    // Runtime files first, in the seed's order; then the type checks.
    expect(states(await project.runCliJson<ShowJson>(['show', '1']))).toEqual([
      { project: '', file: 'b.test.ts', tests: { victim: 'passed', fine: 'passed' } },
      { project: '', file: 'a.test.ts', tests: { polluter: 'passed' } },
      { project: '(typecheck)', file: expect.any(String), tests: expect.any(Object) },
      { project: '(typecheck)', file: expect.any(String), tests: expect.any(Object) },
    ])
    const shown = (await project.runCli(['show', '1'])).stdout
    expect(shown).toMatch(/\(typecheck\):b\.test\.ts\n\s+✗ victim/)
    // Nothing but a type check failed: no bisect command printed, and bisect says why it has nothing to do.
    expect(clean.stdout).not.toMatch(/flakeseed bisect:/)
    const nothing = await project.runCli(['bisect', '1'])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr.trim()).toBe("flakeseed: run 1 has no failing test to bisect, only 1 failed type check (tsc's: no order to bisect)")

    // The polluter first: the victim fails at run time too.
    const polluted = await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, 'a.test.ts', 'b.test.ts')) })
    expect(polluted.code, polluted.output).toBe(1)
    expect(polluted.output).not.toMatch(/flakeseed: bug/)
    const [second] = await project.runCliJson<RunJson[]>(['runs'])
    expect({ passed: second!.passed, failed: second!.failed }).toEqual(vitestCounts(polluted))
    expect(vitestCounts(polluted)).toEqual({ passed: 4, failed: 2 })

    // Replay runs the recorded runtime order only: no typecheck pool, no type check recorded.
    const replay = await project.runCli(['replay', '2'])
    expect(replay.code, replay.output).toBe(1)
    if (!WARNS_IN_REPLAY) expect(replay.output).not.toMatch(TYPECHECK_WARNING)
    const replayed = states(await project.runCliJson<ShowJson>(['show', 'last']))
    expect(replayed.map((f) => f.project)).toEqual(['', ''])
    expect(replayed[1]!.tests).toEqual({ victim: 'failed', fine: 'passed' })

    // Bisect takes the runtime failure, and its probes see runtime outcomes only: the victim passes alone.
    const bisect = await project.runCli(['bisect', '2', '--repeat', '1', '--no-diagnose', '--json'])
    expect(bisect.code, bisect.output).toBe(1)
    expect(bisect.output).not.toMatch(TYPECHECK_WARNING)
    expect(JSON.parse(bisect.stdout)).toMatchObject({ victim: 'b.test.ts > victim', kind: 'victim', polluters: ['a.test.ts > polluter'] })
  })

  test('a project of its own with typecheck enabled: its type checks are its own, and a replay starts no typecheck pool', async () => {
    const project = typecheckProject(`isolate: false, fileParallelism: false, projects: [{ extends: true, test: { name: 'lib', ${TYPECHECK} } }]`)
    const ids = ['lib:a.test.ts', 'lib:b.test.ts']
    const run = await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, 'lib:a.test.ts', 'lib:b.test.ts')) })
    expect(run.code, run.output).toBe(1)
    expect(run.output).not.toMatch(/flakeseed: bug/)
    const [recorded] = await project.runCliJson<RunJson[]>(['runs'])
    expect({ passed: recorded!.passed, failed: recorded!.failed }).toEqual(vitestCounts(run))
    const failed = project
      .cliJson<ShowJson>(['show', '1'])
      .files.flatMap((f) => f.tests.filter((t) => t.state === 'failed').map((t) => `${f.project}:${f.file} > ${t.name}`))
    expect(failed.sort()).toEqual(['lib (typecheck):b.test.ts > victim', 'lib:b.test.ts > victim'])

    // The project's own config enables typecheck; the plugin turns it off for the replay.
    const replay = await project.runCli(['replay', '1'])
    expect(replay.code, replay.output).toBe(1)
    if (!WARNS_IN_REPLAY) expect(replay.output).not.toMatch(TYPECHECK_WARNING)
    expect(states(await project.runCliJson<ShowJson>(['show', 'last'])).map((f) => f.project)).toEqual(['lib', 'lib'])
  })
})
