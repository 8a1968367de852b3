// What a patch's check ran besides the patched files (`fix --apply` refuses when one changed): the
// files given and the project files they reach by relative imports, transitively.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { localInputs } from '../../src/fix/inputs.js'

let dir: string | undefined

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function project(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'flakeseed-inputs-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

describe('localInputs', () => {
  test('follows relative imports of every kind, transitively, with the extension left out or written as .js, and folder indexes', () => {
    const root = project({
      'test/cart.test.ts': [
        `import { describe } from 'vitest'`,
        `import { cart } from '../src/cart'`,
        `export * from '../src/reexported.js'`,
        `vi.mock('../src/mocked', () => ({}))`,
        `const lazy = () => import('../src/lazy')`,
        `const old = require('../src/old.cjs')`,
        `import { x } from '../src/folder'`,
        ``,
      ].join('\n'),
      'src/cart.ts': `import { money } from './money.js'\nexport const cart = money\n`,
      'src/money.ts': `export const money = 1\n`,
      'src/reexported.ts': `export const r = 1\n`,
      'src/mocked.ts': `export const m = 1\n`,
      'src/lazy.tsx': `export const l = <div />\n`,
      'src/old.cjs': `module.exports = require('./older')\n`,
      'src/older.js': `module.exports = 1\n`,
      'src/folder/index.ts': `export const x = 1\n`,
      'src/unrelated.ts': `export const u = 1\n`,
    })
    const found = localInputs(root, [join(root, 'test/cart.test.ts')]).map((p) => p.slice(root.length + 1))
    expect(found.sort()).toEqual(
      [
        'test/cart.test.ts',
        'src/cart.ts',
        'src/money.ts',
        'src/reexported.ts',
        'src/mocked.ts',
        'src/lazy.tsx',
        'src/old.cjs',
        'src/older.js',
        'src/folder/index.ts',
      ].sort(),
    )
  })

  test('packages, node_modules, files outside the root and import cycles are not followed; a file that does not parse is kept, its imports unread', () => {
    const root = project({
      'app/test/a.test.ts': `import 'vitest'\nimport '../node_modules/dep/index.js'\nimport '../../outside'\nimport './b'\n`,
      'app/test/b.ts': `import './a.test'\n`,
      'app/node_modules/dep/index.js': `export {}\n`,
      'outside.ts': `export {}\n`,
      'app/test/broken.ts': `import './b'\nthis is not code (\n`,
    })
    const app = join(root, 'app')
    const found = localInputs(app, [join(app, 'test/a.test.ts'), join(app, 'test/broken.ts'), join(app, 'test/missing.ts')]).map((p) => p.slice(app.length + 1))
    expect(found.sort()).toEqual(['test/a.test.ts', 'test/b.ts', 'test/broken.ts'])
  })
})
