// A user's project installed by a package manager from the packed tarball: two test files under
// the flakeseed plugin, commands run in it through a shell (so a command flakeseed printed runs
// exactly as pasted), and the package managers' own interactive prompts answered as a user would.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { afterAll } from 'vitest'
import { cleanEnv } from '../helpers/project.js'
import type { PmContext } from './setup.js'

export type Installer = 'npm' | 'pnpm' | 'yarn'

export interface ShellResult {
  code: number | null
  stdout: string
  stderr: string
  output: string
}

/**
 * The environment of a command in a fixture: no npm lifecycle or config variables from an outer
 * `npm test` (pnpm and Yarn read `npm_config_*` as their own settings), the package managers on PATH.
 */
export function pmEnv(context: Pick<PmContext, 'bin'> | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = cleanEnv({})
  for (const key of Object.keys(env)) if (/^npm_/i.test(key)) delete env[key]
  if (context) env.PATH = `${context.bin}${delimiter}${env.PATH ?? ''}`
  env.YARN_ENABLE_TELEMETRY = '0'
  env.YARN_ENABLE_PROGRESS_BARS = 'false'
  return { ...env, ...extra }
}

/** Every `flakeseed: …` warning or error line of an output. */
export function flakeseedLines(output: string): string[] {
  return output.split('\n').filter((line) => line.startsWith('flakeseed: '))
}

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

/** Passes unless FAIL=1: a run whose exit code is 1 for reasons of its own. */
const B_TEST = `import { expect, test } from 'vitest'
test('b1', () => expect(process.env.FAIL).not.toBe('1'))
test('b2', () => expect(2).toBe(2))
`

export class App {
  private constructor(
    readonly dir: string,
    readonly installer: Installer,
    private readonly context: PmContext,
  ) {}

  /** A fresh project depending on the tarball and this checkout's Vitest; `manifest` is merged into its package.json. */
  static create(context: PmContext, installer: Installer, manifest: Record<string, unknown> = {}, files: Record<string, string> = {}): App {
    const dir = mkdtempSync(join(tmpdir(), `flakeseed-${installer}-app-`))
    roots.push(dir)
    // The binding prebuilt for this checkout's better-sqlite3: pinned, so a newer 12.x on the
    // registry cannot turn an install into a compile.
    const pin = { 'better-sqlite3': context.betterSqlite3 }
    const pinning = installer === 'npm' ? { overrides: pin } : installer === 'pnpm' ? { pnpm: { overrides: pin } } : { resolutions: pin }
    const pkg = {
      name: `${installer}-app`,
      private: true,
      type: 'module',
      devDependencies: { flakeseed: `file:${context.tarball}`, vitest: context.vitest },
      ...pinning,
      ...manifest,
    }
    const all: Record<string, string> = {
      'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
      'vitest.config.ts': `import { defineConfig } from 'vitest/config'\nimport flakeseed from 'flakeseed'\n\nexport default defineConfig({ plugins: [flakeseed()] })\n`,
      'test/a.test.ts': `import { expect, test } from 'vitest'\ntest('a1', () => expect(1).toBe(1))\ntest('a2', () => expect(2).toBe(2))\n`,
      'test/b.test.ts': B_TEST,
      ...files,
    }
    for (const [path, content] of Object.entries(all)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), content)
    }
    return new App(dir, installer, context)
  }

  /** `<installer> install ARGS…`: the install scripts find the prebuilt binding instead of compiling. */
  install(args: string[] = []): ShellResult {
    return this.sh([this.installer, 'install', ...args].join(' '), this.buildEnv(), 600_000)
  }

  /** The environment under which a build script takes the prebuilt binding (installs, rebuilds, approvals). */
  buildEnv(): NodeJS.ProcessEnv {
    return { npm_config_better_sqlite3_local_prebuilds: this.context.prebuilds }
  }

  /** A command line, through `sh -c`, in this project. */
  sh(command: string, env: NodeJS.ProcessEnv = {}, timeout = 180_000): ShellResult {
    const result = spawnSync('sh', ['-c', command], { cwd: this.dir, env: pmEnv(this.context, env), encoding: 'utf8', timeout })
    const stdout = result.stdout ?? ''
    const stderr = result.stderr ?? ''
    return { code: result.status, stdout, stderr, output: `${stdout}\n${stderr}${result.error ? `\n${result.error.message}` : ''}` }
  }

  /**
   * A command that asks questions: each step waits for its prompt to appear in the output (since
   * the previous answer), then types its keys.
   */
  interact(
    command: string,
    steps: ReadonlyArray<readonly [prompt: RegExp, keys: string]>,
    env: NodeJS.ProcessEnv = {},
    timeout = 180_000,
  ): Promise<ShellResult> {
    return new Promise((resolve) => {
      const child = spawn('sh', ['-c', command], { cwd: this.dir, env: pmEnv(this.context, env), stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      /** Both streams in the order they arrived, and how much of it earlier prompts used. */
      let both = ''
      let seen = 0
      let step = 0
      const answer = () => {
        const next = steps[step]
        if (!next?.[0].test(both.slice(seen))) return
        seen = both.length
        step++
        child.stdin.write(next[1])
        if (step === steps.length) child.stdin.end()
      }
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        both += chunk.toString()
        answer()
      })
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        both += chunk.toString()
        answer()
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
      child.on('close', (code) => {
        clearTimeout(timer)
        const unanswered = step < steps.length ? `\n(prompt never seen: ${steps[step]![0]})` : ''
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}${unanswered}` })
      })
    })
  }
}
