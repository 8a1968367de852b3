// The ordering rule as the Vitest major in use runs it: CI runs this on Vitest 4 and 5.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { sortByKey } from '../../src/core/order.js'
import { testId } from '../../src/core/names.js'
import { config, createProject, LOG, REPO } from '../helpers/project.js'
import { SERIAL } from '../helpers/shard-suite.js'

const vitestVersion = (JSON.parse(readFileSync(join(REPO, 'node_modules/vitest/package.json'), 'utf8')) as { version: string }).version

describe(`seeded order on vitest ${vitestVersion}`, () => {
  test('a fixed seed gives the order src/core/order.ts computes, on every Vitest major CI runs', async () => {
    const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta']
    const files = ['test/one.test.ts', 'test/two.test.ts', 'test/three.test.ts']
    const fixture: Record<string, string> = { 'vitest.config.ts': config('{ db: false }', SERIAL) }
    for (const file of files) {
      const short = file.split('/')[1]!.split('.')[0]
      fixture[file] = [`import { test } from 'vitest'`, LOG, ...names.map((n) => `test('${n}', () => log('${short} ${n}'))`)].join('\n')
    }
    const project = createProject(fixture)
    const result = await project.runVitest([], { FLAKESEED_SEED: 'across-majors' })
    expect(result.code, result.output).toBe(0)
    const expected = sortByKey(files, 'across-majors', (f) => f).flatMap((file) =>
      sortByKey(names, 'across-majors', (n) => testId('', file, n)).map((n) => `${file.split('/')[1]!.split('.')[0]} ${n}`),
    )
    expect(result.log).toEqual(expected)
  })
})
