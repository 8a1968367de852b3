// What a patch's verification ran, beyond the files it patches: the test files, the config, and
// every project file they import by a relative path, transitively (`import`, `export … from`,
// `import()`, `require()`, `vi.mock()` with a string literal), read with the patch writer's parser.
// `fix --apply` refuses when one of them changed since (docs/ARCHITECTURE.md, "Patches"). Imports
// through aliases (`@/x`, tsconfig paths) are not followed here: Vite resolves them, and the modules
// the checks' Vite loaded are hashed as it loads them (`Control.onLoad`, src/fix-session/verify.ts).
// A package's files are not the project's.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { parseSource, walk } from './source.js'

/** A project's source has more; a check's files rarely reach this many. */
const MAX_FILES = 500
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']

/** `files` (absolute) and the project files they reach by relative imports, as absolute paths, inside `root` and outside node_modules. */
export function localInputs(root: string, files: readonly string[]): string[] {
  const seen = new Set<string>()
  const queue = files.filter((f) => isFile(f))
  while (queue.length && seen.size < MAX_FILES) {
    const file = queue.shift()!
    if (seen.has(file)) continue
    seen.add(file)
    let code: string
    try {
      code = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const specifier of specifiers(file, code)) {
      const target = resolveImport(file, specifier)
      if (target && insideProject(root, target) && !seen.has(target)) queue.push(target)
    }
  }
  return [...seen]
}

/** The relative module specifiers a file names. */
export function specifiers(path: string, code: string): string[] {
  const source = parseSource(path, code)
  if (!source) return []
  const found: string[] = []
  walk(source.program, (node) => {
    let value: unknown
    if ((node.type === 'ImportDeclaration' || node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration') && node.source)
      value = node.source.value
    else if (node.type === 'ImportExpression') value = node.source.type === 'StringLiteral' ? node.source.value : undefined
    else if (node.type === 'CallExpression' && node.arguments[0]?.type === 'StringLiteral' && isLoader(node.callee)) value = node.arguments[0].value
    if (typeof value === 'string' && (value.startsWith('./') || value.startsWith('../'))) found.push(value)
  })
  return found
}

/** `import(…)` (Babel's older shape), `require(…)`, `vi.mock(…)`, `vi.importActual(…)`. */
function isLoader(callee: import('@babel/types').Node): boolean {
  if (callee.type === 'Import') return true
  if (callee.type === 'Identifier') return callee.name === 'require'
  return (
    callee.type === 'MemberExpression' &&
    callee.object.type === 'Identifier' &&
    callee.object.name === 'vi' &&
    callee.property.type === 'Identifier' &&
    ['mock', 'doMock', 'importActual', 'importMock'].includes(callee.property.name)
  )
}

/** The file a relative specifier names: as written, with an extension added, a `.js` written for a `.ts`, or a folder's index. */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier.replace(/[?#].*$/, ''))
  const stem = base.replace(/\.[cm]?jsx?$/, '')
  const candidates = [
    base,
    ...EXTENSIONS.map((e) => base + e),
    ...(stem !== base ? EXTENSIONS.map((e) => stem + e) : []),
    ...EXTENSIONS.map((e) => join(base, `index${e}`)),
  ]
  return candidates.find(isFile)
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile()
  } catch {
    return false
  }
}

/** A file of the project's own: under `root`, not in a node_modules folder. */
export function insideProject(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('node_modules')
}
