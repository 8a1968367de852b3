// better-sqlite3's binding failures read as one line with the fix for the package manager in use:
// recognised from the errors the real loaders throw (the `bindings` package for a missing file,
// Node's dlopen for a file that does not load) and from Node's exact NODE_MODULE_VERSION text.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { FlakeseedError } from '../../src/core/errors.js'
import type { PackageManager } from '../../src/core/model.js'
import { bindingAdvice, bindingError, bindingProblem } from '../../src/store/binding.js'
import { asStoreError } from '../../src/store/errors.js'
import { REPO } from '../helpers/project.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flakeseed-binding-'))
  dirs.push(dir)
  return dir
}

/** What `bindings` (better-sqlite3's loader) throws for a package whose build never ran. */
function missingBindingError(): unknown {
  const root = tempDir()
  writeFileSync(join(root, 'package.json'), '{"name":"better-sqlite3"}')
  const bindings = createRequire(join(REPO, 'node_modules/better-sqlite3/package.json'))('bindings') as (o: object) => unknown
  try {
    bindings({ bindings: 'better_sqlite3.node', module_root: root })
  } catch (error) {
    return error
  }
  throw new Error('bindings found a binding in an empty folder')
}

/** What Node throws loading a binding file that is not a shared library. */
function unloadableBindingError(): unknown {
  const dir = join(tempDir(), 'build/Release')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'better_sqlite3.node'), 'not a shared library')
  try {
    createRequire(import.meta.url)(join(dir, 'better_sqlite3.node'))
  } catch (error) {
    return error
  }
  throw new Error('a text file loaded as a native module')
}

/** Node 20's message for a binding built under Node 22, as it prints it (src/node_binding.cc). */
const ABI_MESSAGE = [
  "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'",
  'was compiled against a different Node.js version using',
  'NODE_MODULE_VERSION 127. This version of Node.js requires',
  'NODE_MODULE_VERSION 115. Please try re-compiling or re-installing',
  'the module (for instance, using `npm rebuild` or `npm install`).',
].join('\n')

const abiError = Object.assign(new Error(ABI_MESSAGE), { code: 'ERR_DLOPEN_FAILED' })

const npm: PackageManager = { name: 'npm', pnp: false }
const pnpm: PackageManager = { name: 'pnpm', pnp: false }
const yarn: PackageManager = { name: 'yarn', pnp: true }
const yarn1: PackageManager = { name: 'yarn-classic', pnp: false }

describe('recognising the failure', () => {
  test('a missing binding, from the error the bindings package throws (its message lists every place it looked)', () => {
    const error = missingBindingError()
    expect((error as Error).message).toMatch(/^Could not locate the bindings file\. Tried:\n/)
    expect(bindingProblem(error)).toEqual({ kind: 'missing' })
  })

  test('a binding built for another Node.js, from the exact NODE_MODULE_VERSION text', () => {
    expect(bindingProblem(abiError)).toEqual({ kind: 'abi', builtFor: 127, needs: 115 })
  })

  test('a binding file that does not load, from the error Node throws for it', () => {
    const error = unloadableBindingError()
    expect((error as { code?: string }).code).toBe('ERR_DLOPEN_FAILED')
    expect(bindingProblem(error)).toEqual({ kind: 'unloadable', reason: expect.stringMatching(/^(invalid ELF header|file too short)$/) })
  })

  test('anything else is not a binding problem', () => {
    expect(bindingProblem(new Error('SQLITE_BUSY: database is locked'))).toBeUndefined()
    expect(bindingProblem(Object.assign(new Error('/x/other.node: file too short'), { code: 'ERR_DLOPEN_FAILED' }))).toBeUndefined()
    expect(bindingProblem(Object.assign(new Error('Could not locate the bindings file. Tried:\n → /x/sharp.node'), {}))).toBeUndefined()
    expect(bindingProblem(null)).toBeUndefined()
    expect(bindingProblem('a string')).toBeUndefined()
  })
})

describe('the line and its fix', () => {
  test('a build nobody allowed: the approval step of the package manager in use', () => {
    const missing = { kind: 'missing' } as const
    expect(bindingAdvice(missing, pnpm, false)).toBe(
      "better-sqlite3's native binding was never built (pnpm runs no dependency's build script until it is approved): run `pnpm approve-builds` and pick better-sqlite3",
    )
    expect(bindingAdvice(missing, yarn, false)).toBe(
      "better-sqlite3's native binding was never built (Yarn runs no dependency's build script until it is allowed): run `npm pkg set dependenciesMeta.better-sqlite3.built=true --json`, then `yarn rebuild better-sqlite3`",
    )
    expect(bindingAdvice(missing, npm, false)).toBe(
      "better-sqlite3's native binding was never built (its install script did not run): run `npm rebuild better-sqlite3` (if npm refuses it as not covered by allowScripts, run `npm install-scripts approve better-sqlite3` first)",
    )
  })

  test('a build already allowed, or a package manager that runs every build script: only the rebuild', () => {
    const missing = { kind: 'missing' } as const
    const rebuild = "better-sqlite3's native binding was never built (its build script did not run, or failed): run"
    expect(bindingAdvice(missing, pnpm, true)).toBe(`${rebuild} \`pnpm rebuild better-sqlite3\``)
    expect(bindingAdvice(missing, yarn, true)).toBe(`${rebuild} \`yarn rebuild better-sqlite3\``)
    expect(bindingAdvice(missing, npm, true)).toBe(`${rebuild} \`npm rebuild better-sqlite3\``)
    expect(bindingAdvice(missing, yarn1, false)).toBe(`${rebuild} \`npm rebuild better-sqlite3\``)
  })

  test('another Node.js or an unloadable file: the rebuild, saying which versions', () => {
    expect(bindingAdvice({ kind: 'abi', builtFor: 127, needs: 115 }, pnpm, true, 'v20.20.2')).toBe(
      "better-sqlite3's native binding was built for another Node.js (NODE_MODULE_VERSION 127; Node.js v20.20.2 needs 115): run `pnpm rebuild better-sqlite3`",
    )
    expect(bindingAdvice({ kind: 'unloadable', reason: 'file too short' }, npm, false)).toBe(
      "better-sqlite3's native binding cannot be loaded (file too short): run `npm rebuild better-sqlite3`",
    )
  })

  test('the store error is that one line, found from the project around the folder given', () => {
    const root = tempDir()
    writeFileSync(join(root, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n")
    writeFileSync(join(root, 'package.json'), '{"name":"app"}')
    const error = bindingError(missingBindingError(), root)
    expect(error).toBeInstanceOf(FlakeseedError)
    expect(error!.message).toBe(
      "flakeseed: better-sqlite3's native binding was never built (pnpm runs no dependency's build script until it is approved): run `pnpm approve-builds` and pick better-sqlite3",
    )
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'onlyBuiltDependencies:\n  - better-sqlite3\n')
    expect(bindingError(abiError, root)!.message).toMatch(
      /^flakeseed: .* \(NODE_MODULE_VERSION 127; Node\.js v\d+\.\d+\.\d+ needs 115\): run `pnpm rebuild better-sqlite3`$/,
    )
    expect(bindingError(missingBindingError(), root)!.message).toContain('run `pnpm rebuild better-sqlite3`')
    expect(bindingError(new Error('database is locked'), root)).toBeUndefined()
  })

  test("pnpm 11 and 12 take the package: approve-builds better-sqlite3, the project's pnpm found from packageManager", () => {
    expect(bindingAdvice({ kind: 'missing' }, { ...pnpm, major: 11 }, false)).toBe(
      "better-sqlite3's native binding was never built (pnpm 11 runs no dependency's build script until it is approved in pnpm-workspace.yaml's allowBuilds, and stops the install with ERR_PNPM_IGNORED_BUILDS): run `pnpm approve-builds better-sqlite3`",
    )
    expect(bindingAdvice({ kind: 'missing' }, { ...pnpm, major: 10 }, false)).toContain('run `pnpm approve-builds` and pick better-sqlite3')
    // zustand's layout, run through npx (npm's user agent): packageManager pnpm@11.3.0, pnpm-lock.yaml, a stale package-lock.json.
    const root = tempDir()
    writeFileSync(join(root, 'package.json'), '{"name":"zustand","packageManager":"pnpm@11.3.0"}')
    writeFileSync(join(root, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n")
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}')
    const agent = process.env.npm_config_user_agent
    process.env.npm_config_user_agent = 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false'
    try {
      expect(bindingError(missingBindingError(), root)!.message).toBe(
        "flakeseed: better-sqlite3's native binding was never built (pnpm 11 runs no dependency's build script until it is approved in pnpm-workspace.yaml's allowBuilds, and stops the install with ERR_PNPM_IGNORED_BUILDS): run `pnpm approve-builds better-sqlite3`",
      )
      // Approved as pnpm 11 reads it: the rebuild. Listed as pnpm 10 read it: still the approval.
      writeFileSync(join(root, 'pnpm-workspace.yaml'), 'onlyBuiltDependencies:\n  - better-sqlite3\n')
      expect(bindingError(missingBindingError(), root)!.message).toContain('run `pnpm approve-builds better-sqlite3`')
      writeFileSync(join(root, 'pnpm-workspace.yaml'), 'allowBuilds:\n  better-sqlite3: true\n')
      expect(bindingError(abiError, root)!.message).toMatch(/: run `pnpm rebuild better-sqlite3`$/)
      expect(bindingError(missingBindingError(), root)!.message).toContain('run `pnpm rebuild better-sqlite3`')
    } finally {
      if (agent === undefined) delete process.env.npm_config_user_agent
      else process.env.npm_config_user_agent = agent
    }
  })

  test('asStoreError gives the binding line instead of the first line of the loader message', () => {
    const message = asStoreError(abiError, '/app/.flakeseed/history.db').message
    expect(message).toMatch(
      /^flakeseed: better-sqlite3's native binding was built for another Node\.js \(NODE_MODULE_VERSION 127; .*\): run `\w+ rebuild better-sqlite3`$/,
    )
    expect(message).not.toContain('\n')
    expect(asStoreError(new Error('boom'), '/app/h.db').message).toBe('flakeseed: cannot open /app/h.db: boom')
  })
})
