import { describe, expect, test } from 'vitest'
import { sortByKey } from '../../src/core/order.js'
import { testId } from '../../src/core/names.js'
import type { ShowJson } from '../helpers/cli.js'
import { config, createProject, LOG, type Project } from '../helpers/project.js'
import { logEnv, outcomes, SERIAL } from '../helpers/shard-suite.js'

describe('two Vitest projects in one DB', () => {
  /** The same files in two inline projects: every file name collides. */
  function projectsSuite(): Project {
    const file = (name: string) =>
      [
        `import { describe, test, expect } from 'vitest'`,
        LOG,
        `describe('d', () => {`,
        ...['t0', 't1', 't2', 't3', 't4'].map((t) => `  test('${t}', () => log(process.env.PROJ + ' ${name} ${t}'))`),
        // Fails in project "web" only, and only after t0 of the same file (module state).
        `  test('victim', () => { log(process.env.PROJ + ' ${name} victim'); expect(process.env.PROJ === 'web' && (globalThis as any).polluted).toBeFalsy() })`,
        `  test('polluter', () => { log(process.env.PROJ + ' ${name} polluter'); (globalThis as any).polluted = true })`,
        `})`,
      ].join('\n')
    const projects = `projects: [
      { extends: true, test: { name: 'node', env: { PROJ: 'node' } } },
      { extends: true, test: { name: 'web', env: { PROJ: 'web' } } },
    ], ${SERIAL}`
    return createProject({ 'vitest.config.ts': config('', projects), 'test/a.test.ts': file('a'), 'test/b.test.ts': file('b') })
  }

  const NAMES = ['t0', 't1', 't2', 't3', 't4', 'victim', 'polluter'].map((t) => `d > ${t}`)

  test('both projects recorded and shuffled by their own ids; replay and bisect run the right project', async () => {
    const project = projectsSuite()
    // A seed where web's b.test.ts runs the polluter before the victim, so the run fails there.
    const seed = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].find((s) => {
      const order = sortByKey(NAMES, s, (n) => testId('web', 'test/b.test.ts', n))
      return order.indexOf('d > polluter') < order.indexOf('d > victim')
    })!
    const result = await project.runVitest([], { FLAKESEED_SEED: seed })
    expect(result.stdout).toMatch(new RegExp(`^flakeseed seed ${seed} · run 1 · 2 projects · 4 files shuffled · replay: npx flakeseed replay 1$`, 'm'))
    const show = await project.runCliJson<ShowJson>(['show', 'last'])
    const ids = [...outcomes(show).keys()]
    expect(ids).toHaveLength(28)
    expect(new Set(ids).size).toBe(28)
    for (const p of ['node', 'web']) {
      for (const file of ['test/a.test.ts', 'test/b.test.ts']) {
        // Each project's tests ran in the order its own ids give.
        const expected = sortByKey(NAMES, seed, (n) => testId(p, file, n)).map((n) => `${p} ${file.slice(5, 6)} ${n.slice(4)}`)
        expect(result.log.filter((l) => l.startsWith(`${p} ${file.slice(5, 6)} `))).toEqual(expected)
        const shown = show.files.find((f) => f.project === p && f.file === file)!
        expect(shown.tests.map((t) => t.name)).toEqual(sortByKey(NAMES, seed, (n) => testId(p, file, n)))
      }
    }
    const failed = [...outcomes(show)].filter(([, o]) => o.state === 'failed').map(([id]) => id)
    expect(failed).toContain('web:test/b.test.ts > d > victim')
    expect(failed.every((id) => id.startsWith('web:'))).toBe(true)

    // Replaying only web's victim and polluter runs them in project web, and fails again there.
    const replay = await project.runCliJson<{ tests: Array<{ test: string; failures: number }> }>(
      ['replay', 'last', '--only', 'web:test/b.test.ts > d > polluter', 'web:test/b.test.ts > d > victim'],
      logEnv(project),
    )
    expect([...replay.tests].sort((a, b) => a.test.localeCompare(b.test))).toEqual([
      { test: 'web:test/b.test.ts > d > polluter', runs: 1, failures: 0, verdict: 'passed' },
      { test: 'web:test/b.test.ts > d > victim', runs: 1, failures: 1, verdict: 'failed' },
    ])
    const bisect = await project.runCliJson<{ victim: string; kind: string; polluters: string[] }>(
      ['bisect', '1', '--test', 'web:test/b.test.ts > d > victim', '--repeat', '1'],
      logEnv(project),
    )
    expect(bisect).toMatchObject({ victim: 'web:test/b.test.ts > d > victim', kind: 'victim', polluters: ['web:test/b.test.ts > d > polluter'] })
  })
})
