// The benchmarks import the build by path (`join(ROOT, 'dist', 'src', 'core', 'order.js')`): a
// module that moves must take them along, or `npm run bench` breaks where no test runs it.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { REPO } from '../helpers/project.js'

test('every module of dist/ the benchmarks import by path exists (npm test builds first)', () => {
  const paths: string[] = []
  for (const file of readdirSync(join(REPO, 'bench')).filter((f) => f.endsWith('.mjs'))) {
    const source = readFileSync(join(REPO, 'bench', file), 'utf8')
    for (const m of source.matchAll(/join\(ROOT, 'dist', ((?:'[^']+'(?:, )?)+)\)/g)) paths.push(join('dist', ...m[1]!.split(', ').map((p) => p.slice(1, -1))))
    for (const m of source.matchAll(/\bdist\('([^']+)'\)/g)) paths.push(join('dist', m[1]!))
  }
  expect(paths.length).toBeGreaterThan(5)
  expect(paths.filter((p) => p.endsWith('.js') && !existsSync(join(REPO, p)))).toEqual([])
})
