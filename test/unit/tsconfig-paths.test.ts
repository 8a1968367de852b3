// A bare specifier through the project's tsconfig `paths`: the patch writer uses the file's own
// import of a module rather than importing it again under a name the file already declares.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { tsconfigTargets } from '../../src/fix/tsconfig-paths.js'
import { tempFolder } from '../helpers/store.js'

test('paths with a star, an exact one and baseUrl, from the nearest tsconfig.json (comments and trailing commas allowed)', () => {
  const root = tempFolder()
  writeFileSync(
    join(root, 'tsconfig.json'),
    [
      '{',
      '  // the aliases',
      '  "compilerOptions": {',
      '    "baseUrl": "./src", /* targets from src */',
      '    "paths": { "@state/*": ["state/*", "legacy/*"], "config": ["config/index.ts"], "//not-a-comment/*": ["x/*"], },',
      '  },',
      '}',
    ].join('\n'),
  )
  expect(tsconfigTargets(root, 'test/a.test.ts', '@state/settings')).toEqual(['src/state/settings', 'src/legacy/settings'])
  expect(tsconfigTargets(root, 'test/a.test.ts', 'config')).toEqual(['src/config/index.ts'])
  expect(tsconfigTargets(root, 'test/a.test.ts', '//not-a-comment/y')).toEqual(['src/x/y'])
  expect(tsconfigTargets(root, 'test/a.test.ts', 'vitest')).toEqual([])
  // A package's own tsconfig.json is the nearest for its files: without paths, none.
  mkdirSync(join(root, 'packages/a/test'), { recursive: true })
  writeFileSync(join(root, 'packages/a/tsconfig.json'), '{ "compilerOptions": { "strict": true } }\n')
  expect(tsconfigTargets(root, 'packages/a/test/b.test.ts', '@state/settings')).toEqual([])
})

test('no tsconfig.json, or one that does not parse: no targets', () => {
  const root = tempFolder()
  expect(tsconfigTargets(root, 'test/a.test.ts', '@state/settings')).toEqual([])
  writeFileSync(join(root, 'tsconfig.json'), '{ "compilerOptions": { "paths": ')
  expect(tsconfigTargets(root, 'test/a.test.ts', '@state/settings')).toEqual([])
})
