// `flakeseed hunt` end to end: fixture git repositories (a base commit on `main`, a change on a
// branch), real Vitest, and what the user sees: the findings, who caused them, the exit code.
import { describe, expect, test } from 'vitest'
import type { HuntFinding } from '../../src/hunt/hunt.js'
import { git, gitCommit, gitInit } from '../helpers/cli.js'
import { config, createProject, type Files, type Project } from '../helpers/project.js'

interface HuntJson {
  base: string
  affected: { files: string[]; tests: string[] }
  runs: number
  passedRuns: number
  findings: HuntFinding[]
  unblamed: Array<{ test: string; why: string }>
  seconds: number
}

/** A repository whose `main` holds `base`, checked out on a branch `change` holding `change` on top. */
function repo(base: Files, change: Files, test = ''): Project {
  const project = createProject({ 'vitest.config.ts': config('', test), '.gitignore': '.flakeseed\n', ...base })
  gitInit(project)
  git(project, 'checkout', '-qb', 'change')
  project.write(change)
  gitCommit(project, 'the change')
  return project
}

function hunt(project: Project, args: string[] = []): { code: number | null; json: HuntJson; output: string } {
  const result = project.cli(['hunt', '--base', 'main', '--json', ...args])
  if (result.code !== 0 && result.code !== 1) throw new Error(`hunt exited ${result.code}:\n${result.output}`)
  return { code: result.code, json: JSON.parse(result.stdout) as HuntJson, output: result.output }
}

const CART = `export const cart = { items: [] as string[] }\n`

/** A cart test file: two tests that clear the cart around one that needs it empty. */
const cartTests = (extra = '') =>
  [
    `import { expect, test } from 'vitest'`,
    `import { cart } from '../src/cart'`,
    `test('clears', () => { cart.items.length = 0; expect(cart.items).toEqual([]) })`,
    `test('starts empty', () => { expect(cart.items).toEqual([]) })`,
    `test('clears again', () => { cart.items.length = 0; expect(cart.items).toEqual([]) })`,
    extra,
  ].join('\n')

/** An environment dependency that was there before the change: the victim runs first in declaration order. */
const envTests = (extra = '') =>
  [
    `import { expect, test } from 'vitest'`,
    `test('no mode by default', () => { expect(process.env.HUNT_MODE).toBeUndefined() })`,
    `test('sets the mode', () => { process.env.HUNT_MODE = 'fast'; expect(process.env.HUNT_MODE).toBe('fast') })`,
    extra,
  ].join('\n')

const SETUP = [
  `import { expect, test } from 'vitest'`,
  `let db: string[] | undefined`,
  `test('opens', () => { db = [] })`,
  `test('counts', () => { expect(1 + 1).toBe(2) })`,
].join('\n')

describe('flakeseed hunt', () => {
  test('a new polluter hidden by a clearing test, a new brittle test, a random one and a pre-existing dependency', () => {
    const project = repo(
      { 'src/cart.ts': CART, 'test/cart.test.ts': cartTests(), 'test/setup.test.ts': SETUP, 'test/env.test.ts': envTests() },
      {
        'test/cart.test.ts': cartTests(`test('adds a book', () => { cart.items.push('book'); expect(cart.items).toContain('book') })`),
        'test/setup.test.ts': `${SETUP}\ntest('writes', () => { db!.push('x'); expect(db).toEqual(['x']) })\n`,
        'test/env.test.ts': envTests(`test('adds', () => { expect(2 + 2).toBe(4) })`),
        'test/coin.test.ts': `import { expect, test } from 'vitest'\nimport { randomInt } from 'node:crypto'\ntest('coin', () => { expect(randomInt(2)).toBe(0) })\n`,
      },
    )
    const { code, json, output } = hunt(project)
    expect(code, output).toBe(1)
    expect(json.affected.files.sort()).toEqual(['test/cart.test.ts', 'test/coin.test.ts', 'test/env.test.ts', 'test/setup.test.ts'])
    expect(json.affected.tests.sort()).toEqual([
      'test/cart.test.ts > adds a book',
      'test/coin.test.ts > coin',
      'test/env.test.ts > adds',
      'test/setup.test.ts > writes',
    ])
    const by = (victim: string) => json.findings.find((f) => f.victim === victim)
    // Both whole-file orders have a clearing test between: only the pair shows it.
    expect(by('test/cart.test.ts > starts empty'), output).toMatchObject({
      kind: 'victim',
      polluters: ['test/cart.test.ts > adds a book'],
      introduced: true,
      order: 'pair',
    })
    expect(by('test/setup.test.ts > writes'), output).toMatchObject({ kind: 'brittle', stateSetters: ['test/setup.test.ts > opens'], introduced: true })
    expect(by('test/env.test.ts > no mode by default'), output).toMatchObject({
      kind: 'victim',
      polluters: ['test/env.test.ts > sets the mode'],
      introduced: false,
      order: 'reverse',
    })
    // The coin fails at random: nobody is blamed for it.
    expect(json.findings.filter((f) => f.victim.includes('coin') || f.polluters.some((p) => p.includes('coin')))).toEqual([])
    expect(json.findings).toHaveLength(3)
  })
})
