// The config hook's part of reaching every project: which inline projects get the plugin.
import { describe, expect, test } from 'vitest'
import type { Plugin } from 'vitest/config'
import { carries, carryIntoInlineProjects, replacedSequencer } from '../../src/plugin/reach.js'

const plugin: Plugin = { name: 'flakeseed' }
const names = (project: unknown) => ((project as { plugins?: unknown[] }).plugins ?? []).flat(Infinity).map((p) => (p as Plugin).name)

describe('carryIntoInlineProjects', () => {
  test('adds the plugin to inline objects that would not load it, once', () => {
    const other: Plugin = { name: 'other' }
    const projects: unknown[] = [
      { test: { name: 'plain' } },
      { extends: true, test: { name: 'extends-root' } },
      { extends: './base.config.ts', test: { name: 'extends-file' } },
      { plugins: [other], test: { name: 'own-plugins' } },
      { plugins: [[{ name: 'flakeseed' }]], test: { name: 'has-it' } },
      'packages/*',
    ]
    const config = { test: { projects } }
    carryIntoInlineProjects(config, plugin)
    carryIntoInlineProjects(config, plugin)
    expect(projects.slice(0, 5).map(names)).toEqual([['flakeseed'], [], ['flakeseed'], ['other', 'flakeseed'], ['flakeseed']])
    expect(projects[5]).toBe('packages/*')
  })

  test('wraps projects given as functions and promises', async () => {
    const projects: unknown[] = [async () => ({ test: { name: 'fn' } }), Promise.resolve({ test: { name: 'promise' } }), () => ({ extends: true })]
    carryIntoInlineProjects({ test: { projects } }, plugin)
    const fn = await (projects[0] as (env: object) => Promise<unknown>)({})
    expect(names(fn)).toEqual(['flakeseed'])
    expect(names(await projects[1])).toEqual(['flakeseed'])
    expect(names(await (projects[2] as (env: object) => Promise<unknown>)({}))).toEqual([])
  })

  test('leaves a config without projects alone', () => {
    const config = { test: {} }
    carryIntoInlineProjects(config, plugin)
    expect(config).toEqual({ test: {} })
  })
})

test('carries finds the plugin in nested plugin arrays, ignoring falsy entries', () => {
  expect(carries([null, false, [[{ name: 'x' }, [{ name: 'flakeseed' }]]]])).toBe(true)
  expect(carries([{ name: 'x' }])).toBe(false)
  expect(carries(undefined)).toBe(false)
})

test("replacedSequencer names a user's sequencer, not Vitest's own", () => {
  class BaseSequencer {}
  class RandomSequencer {}
  class Mine {}
  expect(replacedSequencer(BaseSequencer)).toBeUndefined()
  expect(replacedSequencer(RandomSequencer)).toBeUndefined()
  expect(replacedSequencer(Mine)).toBe('Mine')
  expect(replacedSequencer(Object.assign(class X {}, { flakeseedBootstrap: true, replaced: 'Mine' }))).toBe('Mine')
  expect(replacedSequencer(Object.assign(class X {}, { flakeseedBootstrap: true }))).toBeUndefined()
})
