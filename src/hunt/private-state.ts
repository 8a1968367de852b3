// The module-private state a test file reaches through its imports, a few levels down (a test file
// that imports a module that imports the module holding a top-level `let`): what no diagnosis
// snapshot sees, so the hunt pairs the file's new tests all the same. Read from the sources, as
// `flakeseed fix` reads one level of it (src/fix/private.ts); the walk follows relative `import` and
// `export … from` specifiers inside the project, never node_modules.
import { basename, dirname, join, relative, sep } from 'node:path'
import { importedPrivateState } from '../fix/private.js'
import { parseSource } from '../fix/source.js'

/** Levels of imports the walk follows below the test file (its own imports are the first). */
export const PRIVATE_STATE_DEPTH = 4

/** Modules read at most per test file: a walk into a large app stops there. */
const MAX_MODULES = 200

const CANDIDATES = ['', '.ts', '.tsx', '.mts', '.js', '.mjs', '/index.ts', '/index.js']

/** `` `let n` of src/tally.ts ``, … for every project module within `depth` imports of `path` (absolute). */
export function reachedPrivateState(path: string, root: string, read: (path: string) => string | undefined, depth = PRIVATE_STATE_DEPTH): string[] {
  const found = new Set<string>()
  const seen = new Set([path])
  let level = relativeImports(path, root, read)
  for (let d = 1; d <= depth && level.length; d++) {
    const next: string[] = []
    for (const module of level) {
      if (seen.has(module) || seen.size >= MAX_MODULES) continue
      seen.add(module)
      for (const state of ownPrivateState(module, root, read)) found.add(state)
      if (d < depth) next.push(...relativeImports(module, root, read))
    }
    level = next
  }
  return [...found]
}

/** A module's own private state, asked as `importedPrivateState` asks it: of a file (never read from disk) that imports only it. */
function ownPrivateState(module: string, root: string, read: (path: string) => string | undefined): string[] {
  const importer = join(dirname(module), '\0flakeseed-importer.ts')
  return importedPrivateState(importer, root, (p) => (p === importer ? `import './${basename(module)}'\n` : read(p)), true)
}

/** The project files `path` imports or re-exports from by a relative specifier, resolved as Vite does for the usual extensions. */
export function relativeImports(path: string, root: string, read: (path: string) => string | undefined): string[] {
  const text = read(path)
  const program = text === undefined ? undefined : parseSource(path, text)?.program
  const out: string[] = []
  for (const s of program?.body ?? []) {
    const from =
      s.type === 'ImportDeclaration' || s.type === 'ExportAllDeclaration' || (s.type === 'ExportNamedDeclaration' && s.source) ? s.source?.value : undefined
    if (!from?.startsWith('.')) continue
    const base = join(dirname(path), from)
    const resolved = CANDIDATES.map((ext) => base.replace(/\.[cm]?js$/, ext === '' ? '$&' : '') + ext).find((c) => read(c) !== undefined)
    const inside = resolved && relative(root, resolved)
    if (resolved && inside && !inside.startsWith('..') && !inside.split(sep).includes('node_modules')) out.push(resolved)
  }
  return [...new Set(out)]
}
