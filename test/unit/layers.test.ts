// The layers of docs/ARCHITECTURE.md, kept true: every import of src/, reporter/ and cli/ is read
// and checked against the rules below; a violation fails naming the file, the import and the rule.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, test } from 'vitest'
import { REPO } from '../helpers/project.js'

/**
 * What each folder of src/ may import from src/ (besides itself), lowest layer first: the folder a
 * file lives in says what it may use. Folders not listed (plugin, run, bisect, quarantine,
 * html-report, history, and any new one) are the Vitest adapters: they may use all of src/.
 */
const LAYERS: Record<string, readonly string[]> = {
  'src/core/': [],
  'src/analysis/': ['src/core/'],
  'src/store/': ['src/core/', 'src/project/'],
  'src/project/': ['src/core/'],
  'src/diagnose/': ['src/core/'],
  'src/worker/': ['src/core/', 'src/diagnose/'],
  'src/fix/': ['src/core/', 'src/diagnose/'],
}
/** Pure: plain data and functions, no Vitest, no SQLite, no I/O. */
const PURE = ['src/core/', 'src/analysis/']
/** What the pure core may load at runtime besides itself. */
const PURE_PACKAGES = ['node:path']

interface Import {
  from: string
  /** Repo-relative path for a relative import, else the package specifier. */
  to: string
  typeOnly: boolean
}

const isPure = (file: string) => PURE.some((p) => file.startsWith(p))
const folderOf = (file: string) => Object.keys(LAYERS).find((folder) => file.startsWith(folder))
// cli/commands.ts declares every command's options and loads the command's file when it runs.
const isCommandFile = (file: string) => file.startsWith('cli/') && !['cli/common.ts', 'cli/index.ts', 'cli/commands.ts'].includes(file)

/** The static and dynamic imports of one file's source. */
function importsOf(file: string, source: string): Import[] {
  const found: Import[] = []
  const add = (specifier: string, typeOnly: boolean) => {
    const to = specifier.startsWith('.') ? join(dirname(file), specifier).replace(/\.js$/, '.ts') : specifier
    found.push({ from: file, to, typeOnly })
  }
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'([^']+)'/gm)) {
    const names = m[3] ?? ''
    const allTypes =
      /^\{[^}]*\}$/.test(names.trim()) &&
      names
        .replace(/[{}]/g, '')
        .split(',')
        .every((n) => !n.trim() || /^type\s/.test(n.trim()))
    add(m[4]!, Boolean(m[2]) || allTypes)
  }
  for (const m of source.matchAll(/^\s*import\s+'([^']+)'/gm)) add(m[1]!, false)
  for (const m of source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g))
    add(m[1]!, /^\s*import type|typeof import/.test(source.slice(Math.max(0, m.index! - 12), m.index!)))
  return found
}

/** The rule an import breaks, if any. */
function violation({ from, to, typeOnly }: Import): string | undefined {
  const local = /^(src|reporter|cli)\//.test(to)
  if (from.startsWith('src/') && (to.startsWith('reporter/') || to.startsWith('cli/'))) {
    if (!(from === 'src/plugin/index.ts' && to === 'reporter/index.ts')) return 'src/ never imports reporter/ or cli/ (only the plugin wires the reporter)'
  }
  if (from.startsWith('reporter/') && to.startsWith('cli/')) return 'reporter/ never imports cli/'
  if (isCommandFile(from) && isCommandFile(to)) return 'a command file never imports another (shared helpers live in cli/common.ts)'
  const folder = folderOf(from)
  if (folder && to.startsWith('src/') && !to.startsWith(folder) && !LAYERS[folder]!.some((f) => to.startsWith(f))) {
    return `${folder} imports only itself and ${LAYERS[folder]!.join(', ') || 'nothing else of src/'}`
  }
  if (isPure(from) && !typeOnly) {
    if (local && !isPure(to)) return 'the pure core imports only the pure core'
    if (!local && !PURE_PACKAGES.includes(to)) return `the pure core loads nothing but ${PURE_PACKAGES.join(', ')}`
  }
  return undefined
}

/** Files that still run the CLI, each with why; one that stops leaves the list (the test above fails until it does). */
const RUNS_CLI: Record<string, string> = {}

/** A string literal that leads into cli/ (`'../cli/index.js'`): a spawn of the CLI, which no import shows. */
function pathIntoCli(source: string): boolean {
  return /['"`](\.\.\/)+cli\//.test(source)
}

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(REPO, join(e.parentPath, e.name)))
}

describe('layers', () => {
  test('every import of src/, reporter/ and cli/ keeps the layering', () => {
    const files = ['src', 'reporter', 'cli'].flatMap(sources)
    expect(files.length).toBeGreaterThan(40)
    const broken = files
      .flatMap((file) => importsOf(file, readFileSync(join(REPO, file), 'utf8')))
      .flatMap((i) => {
        const rule = violation(i)
        return rule ? [`${i.from} imports ${i.to}: ${rule}`] : []
      })
    expect(broken).toEqual([])
  })

  test('nothing below cli/ runs the CLI or reads its output: no path into cli/ in src/ or reporter/', () => {
    const files = ['src', 'reporter'].flatMap(sources)
    const runsCli = files.filter((file) => pathIntoCli(readFileSync(join(REPO, file), 'utf8')))
    expect(runsCli).toEqual(Object.keys(RUNS_CLI))
    // The old end-of-run bisect spawned the CLI and parsed its stdout: caught.
    expect(pathIntoCli(`const CLI = fileURLToPath(new URL('../cli/index.js', import.meta.url))`)).toBe(true)
    expect(pathIntoCli(`const CHILD = fileURLToPath(new URL('../src/bisect/child.js', import.meta.url))`)).toBe(false)
  })

  test('the check catches each kind of violation (so the test above can fail)', () => {
    const check = (file: string, source: string) => importsOf(file, source).map(violation).filter(Boolean)
    expect(check('src/run/execute.ts', `import { nameOf } from '../../reporter/index.js'`)).toHaveLength(1)
    expect(check('reporter/summary.ts', `import { x } from '../cli/common.js'`)).toHaveLength(1)
    expect(check('cli/report.ts', `import { dbWords } from './flaky.js'`)).toHaveLength(1)
    expect(check('src/store/flaky.ts', `import { executionKeys } from '../analysis/flakiness.js'`)).toHaveLength(1)
    expect(check('src/core/order.ts', `import { readFileSync } from 'node:fs'`)).toHaveLength(1)
    expect(check('src/core/names.ts', `const m = await import('../store/index.js')`)).toHaveLength(1)
    // Allowed: the plugin wiring the reporter, type-only imports into the pure core, the store on the core.
    expect(check('src/diagnose/state.ts', `import { Store } from '../store/index.js'`)).toHaveLength(1)
    expect(check('src/worker/runner.ts', `import { plan } from '../run/selection.js'`)).toHaveLength(1)
    expect(check('src/plugin/index.ts', `import { FlakeseedReporter } from '../../reporter/index.js'`)).toEqual([])
    expect(check('src/core/names.ts', `import type { TestCase } from 'vitest/node'`)).toEqual([])
    expect(check('src/core/names.ts', `import { type TestCase, type TestModule } from 'vitest/node'`)).toEqual([])
    expect(check('src/store/findings.ts', `import type { Finding } from '../core/model.js'\nimport { testId } from '../core/names.js'`)).toEqual([])
  })
})
