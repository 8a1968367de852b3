// Which package manager installed the project, and whether it lets better-sqlite3's build script
// run. The nearest folder walking up with any witness is the project's root (a monorepo package
// has none of its own), and there the witnesses rank, most telling first: the `packageManager`
// field of its package.json (what the project pins; Corepack enforces it), then the marker the
// installer left in `node_modules` (the newest, when a tree was installed by several), then the
// lockfiles (a stale lockfile of another tool may sit beside the real one). `npm_config_user_agent` names only the tool that launched this process
// (`npx vitest` in a pnpm project says npm), so it breaks ties between lockfiles and stands in
// when nothing else answers. The store owns this because its native binding is built, or skipped,
// by that tool; the CLI and the reporter ask it too, for how a printed command runs a bin (Yarn
// Plug'n'Play).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { PackageManager } from '../core/model.js'

type Name = PackageManager['name']

/** Markers of an install, most specific first: `.pnp.cjs` is Yarn berry under Plug'n'Play. */
const MARKERS: ReadonlyArray<readonly [file: string, name: Name | 'yarn-lock']> = [
  ['.pnp.cjs', 'yarn'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn-lock'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
]

/** What each installer leaves in the tree it wrote (pnpm's `.modules.yaml` also names its version). */
const INSTALLED: ReadonlyArray<readonly [file: string, name: Name]> = [
  ['.pnp.cjs', 'yarn'],
  ['node_modules/.modules.yaml', 'pnpm'],
  ['node_modules/.pnpm', 'pnpm'],
  ['node_modules/.yarn-state.yml', 'yarn'],
  ['node_modules/.yarn-integrity', 'yarn-classic'],
  ['node_modules/.package-lock.json', 'npm'],
]

/** The tool `npm_config_user_agent` names (`pnpm/10.34.9 npm/? node/v20…`), with its major version. */
export function userAgentTool(agent: string | undefined): { name: Name; major: number } | undefined {
  const m = /^(npm|pnpm|yarn)\/(\d+)/.exec(agent ?? '')
  if (!m) return undefined
  return toolOf(m[1]!, Number(m[2]))
}

/** `pnpm@11.3.0+sha512.…` (package.json's `packageManager`, or pnpm's `.modules.yaml`) as a tool and its major. */
export function pinnedTool(field: unknown): { name: Name; major: number } | undefined {
  const m = /^(npm|pnpm|yarn)@(\d+)\./.exec(typeof field === 'string' ? field.trim() : '')
  if (!m) return undefined
  return toolOf(m[1]!, Number(m[2]))
}

function toolOf(tool: string, major: number): { name: Name; major: number } {
  const name: Name = tool === 'yarn' ? (major === 1 ? 'yarn-classic' : 'yarn') : (tool as Name)
  return { name, major }
}

/**
 * The package manager of the project around `from`: in the nearest folder with a witness, the
 * `packageManager` field, else the installer's marker in `node_modules`, else its lockfile (the
 * user agent picks among several); with none, the user agent, npm otherwise. Plug'n'Play: `.pnp.cjs` at the
 * root, or this process runs under it.
 */
export function detectPackageManager(
  from: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
  versions: NodeJS.ProcessVersions = process.versions,
): PackageManager {
  const agent = userAgentTool(env.npm_config_user_agent)
  // The nearest folder with any witness is the project's root; there the witnesses rank.
  const found = nearest(from, (dir) => pinnedIn(dir) ?? installedIn(dir) ?? lockedIn(dir, agent?.name))
  if (found) {
    const { name, dir } = found
    const major = found.major ?? (agent?.name === name ? agent.major : undefined)
    const pnp = name === 'yarn' && (versions.pnp !== undefined || existsSync(join(dir, '.pnp.cjs')))
    return { name, pnp, root: dir, ...(major !== undefined ? { major } : {}) }
  }
  if (agent) return { name: agent.name, pnp: agent.name === 'yarn' && versions.pnp !== undefined, major: agent.major }
  return { name: 'npm', pnp: false }
}

interface Found {
  name: Name
  major?: number
}

/** The first folder from `from` up for which `look` answers, with that folder. */
function nearest(from: string, look: (dir: string) => Found | undefined): (Found & { dir: string }) | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const found = look(dir)
    if (found) return { ...found, dir }
    if (dirname(dir) === dir) return undefined
  }
}

function pinnedIn(dir: string): Found | undefined {
  return pinnedTool(readJson(join(dir, 'package.json')).packageManager)
}

/** The newest marker: a tree reinstalled by another tool keeps the old tool's files too. */
function installedIn(dir: string): Found | undefined {
  let best: { name: Name; time: number; file: string } | undefined
  for (const [file, name] of INSTALLED) {
    let time: number
    try {
      time = statSync(join(dir, file)).mtimeMs
    } catch {
      continue
    }
    if (!best || time > best.time) best = { name, time, file }
  }
  if (!best) return undefined
  const modules =
    best.name === 'pnpm' ? pinnedTool(/^packageManager:\s*['"]?([^'"\s]+)/m.exec(readText(join(dir, 'node_modules/.modules.yaml')))?.[1]) : undefined
  return { name: best.name, ...(modules ? { major: modules.major } : {}) }
}

function lockedIn(dir: string, agent: Name | undefined): Found | undefined {
  const found = MARKERS.filter(([file]) => existsSync(join(dir, file))).map(([file, name]) => (name === 'yarn-lock' ? yarnLockKind(join(dir, file)) : name))
  if (!found.length) return undefined
  return { name: found.find((n) => n === agent) ?? found[0]! }
}

/** A berry lockfile has a `__metadata:` block at its top; Yarn 1's has none. */
function yarnLockKind(path: string): Name {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const head = Buffer.alloc(4096)
    const read = readSync(fd, head, 0, head.length, 0)
    return /^__metadata:/m.test(head.toString('utf8', 0, read)) ? 'yarn' : 'yarn-classic'
  } catch {
    return 'yarn'
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Whether the project lets `pkg`'s build script run, from its own settings. pnpm 10+ and Yarn 4
 * run no dependency's build script unless allowed; npm 11 runs them unless `strict-allow-scripts`
 * is on, and only then needs them in `allowScripts`; pnpm 9 and Yarn 1 run them all. pnpm 10
 * reads `onlyBuiltDependencies` (and, from 10.26, `allowBuilds`) in package.json's `pnpm` field or
 * pnpm-workspace.yaml; pnpm 11 and 12 read only pnpm-workspace.yaml's `allowBuilds` (the `pnpm`
 * field is "no longer read", `onlyBuiltDependencies` is gone: read in pnpm 11.3.0's dist).
 */
export function buildAllowed(pm: PackageManager, pkg = 'better-sqlite3'): boolean {
  const root = pm.root ?? process.cwd()
  const manifest = readJson(join(root, 'package.json'))
  switch (pm.name) {
    case 'yarn-classic':
      return true
    case 'pnpm': {
      if (pm.major !== undefined && pm.major < 10) return true
      const workspace = readText(join(root, 'pnpm-workspace.yaml'))
      if (/^dangerouslyAllowAllBuilds\s*:\s*true\b/m.test(workspace)) return true
      if (yamlBlock(workspace, 'allowBuilds').some((line) => mapsNameToTrue(line, pkg))) return true
      if (pm.major !== undefined && pm.major >= 11) return false
      const settings = (manifest.pnpm ?? {}) as { onlyBuiltDependencies?: unknown; allowBuilds?: Record<string, unknown> }
      if (Array.isArray(settings.onlyBuiltDependencies) && settings.onlyBuiltDependencies.includes(pkg)) return true
      if (settings.allowBuilds?.[pkg] === true) return true
      return yamlBlock(workspace, 'onlyBuiltDependencies').some((line) => listsName(line, pkg))
    }
    case 'yarn': {
      const built = (manifest.dependenciesMeta as Record<string, { built?: unknown }> | undefined)?.[pkg]?.built
      if (built !== undefined) return built === true
      return /^enableScripts\s*:\s*true\b/m.test(readText(join(root, '.yarnrc.yml')))
    }
    case 'npm': {
      const allowScripts = manifest.allowScripts as Record<string, unknown> | undefined
      if (allowScripts && Object.entries(allowScripts).some(([name, allowed]) => allowed === true && (name === pkg || name.startsWith(`${pkg}@`)))) return true
      return readText(join(root, '.npmrc'))
        .split('\n')
        .some((line) => /^\s*allow-scripts\s*=/.test(line) && listsName(line.slice(line.indexOf('=') + 1), pkg))
    }
  }
}

/** The lines of a top-level YAML key: its inline value, then its indented lines. */
function yamlBlock(text: string, key: string): string[] {
  const lines = text.split(/\r?\n/)
  const at = lines.findIndex((line) => line.startsWith(`${key}:`))
  if (at < 0) return []
  const block = [lines[at]!.slice(key.length + 1)]
  for (const line of lines.slice(at + 1)) {
    if (/^\S/.test(line)) break
    block.push(line)
  }
  return block.map((line) => line.replace(/\s#.*$/, ''))
}

/** `- pkg`, `[a, pkg]`, `pkg,other`, quoted or not, with or without `@version`. */
function listsName(text: string, pkg: string): boolean {
  return text
    .split(/[\s,[\]]+/)
    .map((word) => word.replace(/^['"]|['"]$/g, ''))
    .some((word) => word === pkg || word.startsWith(`${pkg}@`))
}

/** `pkg: true` in a YAML map, quoted or not, with or without `@version`. */
function mapsNameToTrue(line: string, pkg: string): boolean {
  const m = /^\s*['"]?([^'":\s]+)['"]?\s*:\s*(\S+)/.exec(line)
  return Boolean(m && (m[1] === pkg || m[1]!.startsWith(`${pkg}@`)) && m[2] === 'true')
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function readJson(path: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(readText(path))
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
