// Where a bare import specifier points through the project's tsconfig `paths` (`@state/settings` →
// `src/state/settings`), so a patch uses the import a file already has of a module instead of
// importing it again under a name the file already declares. The nearest tsconfig.json above the
// file within the project is read (comments and trailing commas allowed); its `extends` is not
// followed. Vite resolves these itself with `resolve.tsconfigPaths: true` (Vite 8).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, posix, relative, sep } from 'node:path'

interface PathsConfig {
  /** The folder targets resolve from (baseUrl, else the tsconfig's own), relative to the root, `/`-separated. */
  base: string
  paths: Record<string, string[]>
}

const cache = new Map<string, PathsConfig | undefined>()

/** The module paths (relative to `root`, no extension) `specifier` may name from `file` through tsconfig `paths`. */
export function tsconfigTargets(root: string, file: string, specifier: string): string[] {
  const config = pathsConfig(root, file)
  if (!config) return []
  const out: string[] = []
  for (const [pattern, targets] of Object.entries(config.paths)) {
    const star = pattern.indexOf('*')
    const head = star < 0 ? pattern : pattern.slice(0, star)
    const tail = star < 0 ? '' : pattern.slice(star + 1)
    if (star < 0 ? specifier !== pattern : !(specifier.startsWith(head) && specifier.endsWith(tail) && specifier.length >= head.length + tail.length)) continue
    const matched = star < 0 ? '' : specifier.slice(head.length, specifier.length - tail.length)
    for (const target of targets) out.push(posix.normalize(posix.join(config.base, target.replace('*', matched))))
  }
  return out
}

/** The nearest tsconfig.json from the file's folder up to the root, with `paths`. */
function pathsConfig(root: string, file: string): PathsConfig | undefined {
  for (let dir = dirname(join(root, file)); ; dir = dirname(dir)) {
    const path = join(dir, 'tsconfig.json')
    if (existsSync(path)) {
      if (!cache.has(path)) cache.set(path, readPaths(root, path))
      return cache.get(path)
    }
    if (!relative(root, dir) || relative(root, dir).startsWith('..') || dirname(dir) === dir) return undefined
  }
}

function readPaths(root: string, path: string): PathsConfig | undefined {
  try {
    const json = JSON.parse(withoutComments(readFileSync(path, 'utf8'))) as { compilerOptions?: { baseUrl?: string; paths?: Record<string, string[]> } }
    const options = json.compilerOptions
    if (!options?.paths) return undefined
    const base =
      relative(root, join(dirname(path), options.baseUrl ?? '.'))
        .split(sep)
        .join('/') || '.'
    return { base, paths: options.paths }
  } catch {
    return undefined
  }
}

/** JSONC as JSON: comments and trailing commas out, strings left alone. */
function withoutComments(text: string): string {
  return text
    .replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_match, string) => string ?? '')
    .replace(/("(?:\\.|[^"\\])*")|,(\s*[}\]])/g, (_match, string, close) => string ?? close)
}
