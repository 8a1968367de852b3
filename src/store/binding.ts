// better-sqlite3 loads a native binding that the package manager builds at install time. When
// that build was skipped (pnpm 10 and Yarn 4 skip build scripts nobody allowed; --ignore-scripts)
// or made for another Node.js, its error says so over many lines and names no fix that works
// everywhere. This turns it into one line: what happened, and the command that fixes it with the
// package manager that installed the project.
import { allowBuildCommand, NATIVE_DEPENDENCY, rebuildCommand } from '../core/commands.js'
import { FlakeseedError } from '../core/errors.js'
import type { PackageManager } from '../core/model.js'
import { buildAllowed, detectPackageManager } from '../project/package-manager.js'

export type BindingProblem =
  /** No binding file at all: the build script never ran (or failed). */
  | { kind: 'missing' }
  /** Built for another Node.js: `builtFor` and `needs` are NODE_MODULE_VERSIONs. */
  | { kind: 'abi'; builtFor: number; needs: number }
  /** A binding file that does not load (truncated, another platform, a missing system library). */
  | { kind: 'unloadable'; reason: string }

const BINDING_FILE = 'better_sqlite3.node'

/** What is wrong with better-sqlite3's binding, from the error its loading threw; undefined for any other error. */
export function bindingProblem(error: unknown): BindingProblem | undefined {
  const message = String((error as { message?: unknown } | null)?.message ?? '')
  if (!message.includes(BINDING_FILE)) return undefined
  // The `bindings` package, having looked in every place a build could have left the file.
  if (message.startsWith('Could not locate the bindings file')) return { kind: 'missing' }
  // Node's own wording (src/node_binding.cc), over several lines.
  const abi = /NODE_MODULE_VERSION (\d+)\.\s+This version of Node\.js requires\s+NODE_MODULE_VERSION (\d+)/.exec(message)
  if (abi) return { kind: 'abi', builtFor: Number(abi[1]), needs: Number(abi[2]) }
  if ((error as { code?: unknown }).code === 'ERR_DLOPEN_FAILED') {
    // dlopen's reason follows the file's path: "/…/better_sqlite3.node: file too short".
    const first = message.split('\n')[0]!
    const at = first.indexOf(`${BINDING_FILE}: `)
    return { kind: 'unloadable', reason: at >= 0 ? first.slice(at + BINDING_FILE.length + 2) : first }
  }
  return undefined
}

/**
 * The line for a binding problem (without `flakeseed: `): what happened, and the command that
 * fixes it. `allowed`: whether the project lets better-sqlite3's build script run.
 */
export function bindingAdvice(problem: BindingProblem, pm: PackageManager, allowed: boolean, node = process.version): string {
  const binding = `${NATIVE_DEPENDENCY}'s native binding`
  const rebuild = `run \`${rebuildCommand(pm)}\``
  if (problem.kind === 'abi') {
    return `${binding} was built for another Node.js (NODE_MODULE_VERSION ${problem.builtFor}; Node.js ${node} needs ${problem.needs}): ${rebuild}`
  }
  if (problem.kind === 'unloadable') return `${binding} cannot be loaded (${problem.reason}): ${rebuild}`
  const missing = `${binding} was never built`
  const allow = allowBuildCommand(pm)
  if (allowed || allow === undefined) return `${missing} (its build script did not run, or failed): ${rebuild}`
  switch (pm.name) {
    case 'pnpm':
      if (pm.major !== undefined && pm.major >= 11) {
        return `${missing} (pnpm ${pm.major} runs no dependency's build script until it is approved in pnpm-workspace.yaml's allowBuilds, and stops the install with ERR_PNPM_IGNORED_BUILDS): run \`${allow}\``
      }
      return `${missing} (pnpm runs no dependency's build script until it is approved): run \`${allow}\` and pick ${NATIVE_DEPENDENCY}`
    case 'yarn':
      return `${missing} (Yarn runs no dependency's build script until it is allowed): run \`${allow}\`, then \`${rebuildCommand(pm)}\``
    default:
      return `${missing} (its install script did not run): ${rebuild} (if npm refuses it as not covered by allowScripts, run \`${allow}\` first)`
  }
}

/**
 * The one-line error for a binding problem, with the fix for the package manager of the project
 * around `cwd` (where the user will type it); undefined for any other error.
 */
export function bindingError(error: unknown, cwd = process.cwd()): FlakeseedError | undefined {
  const problem = bindingProblem(error)
  if (!problem) return undefined
  const pm = detectPackageManager(cwd)
  return new FlakeseedError(`flakeseed: ${bindingAdvice(problem, pm, buildAllowed(pm, NATIVE_DEPENDENCY))}`)
}
