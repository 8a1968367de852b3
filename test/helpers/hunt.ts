// What the hunt tests share: a fixture git repository with a base and a change, `hunt --json` run
// and parsed, and the fixture test files.
import type { HuntFinding } from '../../src/hunt/hunt.js'
import { git, gitCommit, gitInit } from './cli.js'
import { config, createProject, type Files, type Project } from './project.js'

/** `hunt --json`. */
export interface HuntJson {
  base: string
  affected: { files: string[]; tests: string[] }
  runs: number
  passedRuns: number
  findings: HuntFinding[]
  unblamed: Array<{ test: string; why: string }>
  recorded: number[]
  probes: number
  cut?: string
  seedsHeld?: string
  seconds: number
}

/** A repository whose `main` holds `base`, checked out on a branch `change` holding `change` on top. */
export function repo(base: Files, change: Files, test = ''): Project {
  const project = createProject({ 'vitest.config.ts': config('', test), '.gitignore': '.flakeseed\n', ...base })
  gitInit(project)
  git(project, 'checkout', '-qb', 'change')
  project.write(change)
  gitCommit(project, 'the change')
  return project
}

/** `hunt --base main --json ...args`, parsed; an exit other than 0 or 1 fails the test with the output. */
export async function hunt(project: Project, args: string[] = []): Promise<{ code: number | null; json: HuntJson; output: string }> {
  const result = await project.runCli(['hunt', '--base', 'main', '--json', ...args])
  if (result.code !== 0 && result.code !== 1) throw new Error(`hunt exited ${result.code}:\n${result.output}`)
  return { code: result.code, json: JSON.parse(result.stdout) as HuntJson, output: result.output }
}

export const CART = `export const cart = { items: [] as string[] }\n`

/** A cart test file: two tests that clear the cart around one that needs it empty. */
export const cartTests = (extra = '') =>
  [
    `import { expect, test } from 'vitest'`,
    `import { cart } from '../src/cart'`,
    `test('clears', () => { cart.items.length = 0; expect(cart.items).toEqual([]) })`,
    `test('starts empty', () => { expect(cart.items).toEqual([]) })`,
    `test('clears again', () => { cart.items.length = 0; expect(cart.items).toEqual([]) })`,
    extra,
  ].join('\n')

/** An environment dependency that was there before the change: the victim runs first in declaration order. */
export const envTests = (extra = '') =>
  [
    `import { expect, test } from 'vitest'`,
    `test('no mode by default', () => { expect(process.env.HUNT_MODE).toBeUndefined() })`,
    `test('sets the mode', () => { process.env.HUNT_MODE = 'fast'; expect(process.env.HUNT_MODE).toBe('fast') })`,
    extra,
  ].join('\n')
