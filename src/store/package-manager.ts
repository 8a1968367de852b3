// Which package manager installed the project, and whether it lets better-sqlite3's build script
// run. The installer of record is the lockfile found walking up from a folder (a monorepo package
// has none of its own); `npm_config_user_agent` names only the tool that launched this process
// (`npx vitest` in a pnpm project says npm), so it breaks ties and stands in when there is no
// lockfile. The store owns this because its native binding is built, or skipped, by that tool;
// the CLI and the reporter ask it too, for how a printed command runs a bin (Yarn Plug'n'Play).
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { PackageManager } from '../model.js'

type Name = PackageManager['name']

/** Markers of an install, most specific first: `.pnp.cjs` is Yarn berry under Plug'n'Play. */
const MARKERS: ReadonlyArray<readonly [file: string, name: Name | 'yarn-lock']> = [
  ['.pnp.cjs', 'yarn'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn-lock'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
]

/** The tool `npm_config_user_agent` names (`pnpm/10.34.9 npm/? node/v20…`), with its major version. */
export function userAgentTool(agent: string | undefined): { name: Name; major: number } | undefined {
  const m = /^(npm|pnpm|yarn)\/(\d+)/.exec(agent ?? '')
  if (!m) return undefined
  const major = Number(m[2])
  const name: Name = m[1] === 'yarn' ? (major === 1 ? 'yarn-classic' : 'yarn') : (m[1] as Name)
  return { name, major }
}

/**
 * The package manager of the project around `from`: the nearest folder with a lockfile (or
 * `.pnp.cjs`) decides, the user agent picks among several lockfiles in one folder and answers when
 * there is none, npm otherwise. Plug'n'Play: `.pnp.cjs` there, or this process runs under it.
 */
export function detectPackageManager(
  from: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
  versions: NodeJS.ProcessVersions = process.versions,
): PackageManager {
  const agent = userAgentTool(env.npm_config_user_agent)
  const underPnp = versions.pnp !== undefined
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const found = MARKERS.filter(([file]) => existsSync(join(dir, file))).map(([file, name]) => (name === 'yarn-lock' ? yarnLockKind(join(dir, file)) : name))
    if (found.length) {
      const name = found.find((n) => n === agent?.name) ?? found[0]!
      const pnp = name === 'yarn' && (underPnp || existsSync(join(dir, '.pnp.cjs')))
      return { name, pnp, root: dir, ...(agent?.name === name ? { major: agent.major } : {}) }
    }
    if (dirname(dir) === dir) break
  }
  if (agent) return { name: agent.name, pnp: agent.name === 'yarn' && underPnp, major: agent.major }
  return { name: 'npm', pnp: false }
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
 * is on, and only then needs them in `allowScripts`; pnpm 9 and Yarn 1 run them all.
 */
export function buildAllowed(pm: PackageManager, pkg = 'better-sqlite3'): boolean {
  const root = pm.root ?? process.cwd()
  const manifest = readJson(join(root, 'package.json'))
  switch (pm.name) {
    case 'yarn-classic':
      return true
    case 'pnpm': {
      if (pm.major !== undefined && pm.major < 10) return true
      const settings = (manifest.pnpm ?? {}) as { onlyBuiltDependencies?: unknown; allowBuilds?: Record<string, unknown> }
      if (Array.isArray(settings.onlyBuiltDependencies) && settings.onlyBuiltDependencies.includes(pkg)) return true
      if (settings.allowBuilds?.[pkg] === true) return true
      const workspace = readText(join(root, 'pnpm-workspace.yaml'))
      if (/^dangerouslyAllowAllBuilds\s*:\s*true\b/m.test(workspace)) return true
      if (yamlBlock(workspace, 'onlyBuiltDependencies').some((line) => listsName(line, pkg))) return true
      return yamlBlock(workspace, 'allowBuilds').some((line) => mapsNameToTrue(line, pkg))
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
