// Throwaway Vitest projects for integration tests. Each lives in a temp folder whose
// node_modules links every package of ours plus `flakeseed` itself (the built dist/), so the
// fixture imports flakeseed exactly as a user's project does.
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { linkModules, REPO } from '../../scripts/sandbox.mjs'
import { cliInProcess, IN_PROCESS, vitestInProcess } from './in-process.js'

export { REPO }
const VITEST = join(REPO, 'node_modules/vitest/vitest.mjs')
const CLI = join(REPO, 'dist/cli/index.js')

if (!existsSync(join(REPO, 'dist/src/index.js'))) {
  throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
}

let sandbox: string | undefined

/** One temp folder per test file, holding the shared node_modules and every fixture project. */
function sandboxDir(): string {
  if (sandbox) return sandbox
  sandbox = mkdtempSync(join(tmpdir(), 'flakeseed-test-'))
  linkModules(sandbox)
  process.on('exit', () => rmSync(sandbox!, { recursive: true, force: true }))
  return sandbox
}

export type Files = Record<string, string>

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  output: string
}

export class Project {
  constructor(readonly dir: string) {}

  write(files: Files): this {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true })
      writeFileSync(join(this.dir, path), content)
    }
    return this
  }

  remove(path: string): this {
    rmSync(join(this.dir, path), { force: true })
    return this
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8')
  }

  /** A copy of this project in another folder (same sandbox, so the same node_modules). */
  copy(): Project {
    const copy = createProject({})
    cpSync(this.dir, copy.dir, { recursive: true })
    return copy
  }

  /** `vitest run` in this folder; ORDER_LOG collects what the fixture tests log. */
  vitest(args: string[] = [], env: NodeJS.ProcessEnv = {}): RunResult & { log: string[] } {
    const logFile = join(this.dir, `order-${Date.now()}-${Math.random().toString(36).slice(2)}.log`)
    const result = run(process.execPath, [VITEST, 'run', ...args], this.dir, { ORDER_LOG: logFile, ...env })
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []
    rmSync(logFile, { force: true })
    return { ...result, log }
  }

  /**
   * `vitest run` in this folder, in this process (./in-process.ts; a child process when
   * FLAKESEED_TEST_SPAWN=1): what `vitest()` returns, without a node start per run.
   */
  async runVitest(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunResult & { log: string[] }> {
    const logFile = join(this.dir, `order-${Date.now()}-${Math.random().toString(36).slice(2)}.log`)
    const fullEnv = { ORDER_LOG: logFile, ...env }
    const result = IN_PROCESS
      ? await vitestInProcess(REPO, this.dir, args, cleanEnv(fullEnv))
      : await runAsync(process.execPath, [VITEST, 'run', ...args], this.dir, fullEnv)
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []
    rmSync(logFile, { force: true })
    return { ...result, log }
  }

  /** The flakeseed CLI in this folder, in this process (a child process when FLAKESEED_TEST_SPAWN=1): what `cli()` returns. */
  runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    // bisect too: its SIGINT handler lives as long as the session. An interrupted bisect (Ctrl-C,
    // which tests send through spawnCli, or its --budget used up) ends its process: one given a
    // budget it may use up spawns (a budget it refuses is one line and exit 2, in process).
    const budget = Number(args[args.indexOf('--budget') + 1])
    const exits = args[0] === 'bisect' && args.includes('--budget') && budget > 0 && budget <= 86_400
    return IN_PROCESS && !exits ? cliInProcess(CLI, this.dir, args, cleanEnv(env)) : runAsync(process.execPath, [CLI, ...args], this.dir, env)
  }

  /** `runCli(...)` with `--json`, parsed; fails the test with the CLI's output when it exits non-zero. */
  async runCliJson<T = unknown>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
    const result = await this.runCli([...args, '--json'], env)
    if (result.code !== 0 && result.code !== 1) throw new Error(`flakeseed ${args.join(' ')} exited ${result.code}:\n${result.output}`)
    return JSON.parse(result.stdout) as T
  }

  /** `vitest run` in the background, for tests that kill it. */
  spawnVitest(args: string[] = [], env: NodeJS.ProcessEnv = {}) {
    return spawn(process.execPath, [VITEST, 'run', ...args], {
      cwd: this.dir,
      env: cleanEnv({ ORDER_LOG: join(this.dir, 'bg-order.log'), ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  }

  /** The flakeseed CLI in the background, in a process group of its own (as a terminal's foreground job). */
  spawnCli(args: string[], env: NodeJS.ProcessEnv = {}) {
    return spawn(process.execPath, [CLI, ...args], { cwd: this.dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  }

  /** The flakeseed CLI, run in this folder. */
  cli(args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
    return run(process.execPath, [CLI, ...args], this.dir, env)
  }

  /** `cli(...)` with `--json`, parsed; fails the test with the CLI's output when it exits non-zero. */
  cliJson<T = unknown>(args: string[], env: NodeJS.ProcessEnv = {}): T {
    const result = this.cli([...args, '--json'], env)
    if (result.code !== 0 && result.code !== 1) throw new Error(`flakeseed ${args.join(' ')} exited ${result.code}:\n${result.output}`)
    return JSON.parse(result.stdout) as T
  }
}

export function createProject(files: Files): Project {
  const dir = mkdtempSync(join(sandboxDir(), 'p-'))
  return new Project(dir).write(files)
}

export function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  // The outer Vitest (running these tests) must not leak its worker state into the inner one.
  for (const key of Object.keys(env)) {
    if (key.startsWith('VITEST') || key === 'TINYPOOL_WORKER_ID' || key === 'NODE_OPTIONS') delete env[key]
  }
  for (const key of ['FLAKESEED_SEED', 'FLAKESEED_DB', 'CI', 'GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY']) {
    if (!(key in extra)) delete env[key]
  }
  env.NO_COLOR = '1'
  env.FORCE_COLOR = '0'
  env.VITE_CONFIG_NATIVE_IGNORE_WARNING = 'true'
  return env
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): RunResult {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: 180_000 })
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}\n${result.stderr}`,
  }
}

function runAsync(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, output: `${stdout}\n${stderr}` }))
  })
}

/** A vitest.config.ts with the plugin; `test` is pasted in as the test options' source. */
export function config(options = '', test = ''): string {
  return [
    `import { defineConfig } from 'vitest/config'`,
    `import flakeseed from 'flakeseed'`,
    `export default defineConfig({ plugins: [flakeseed(${options})], test: { ${test} } })`,
    '',
  ].join('\n')
}

/** The lines fixture tests use to log what ran, in the order it ran. */
export const LOG = `import { appendFileSync } from 'node:fs'\nconst log = (line: string) => appendFileSync(process.env.ORDER_LOG!, line + '\\n')\n`

/** A test file with `describes` describe blocks of `tests` tests, each logging `<file> <describe> <test>`. */
export function testFile(name: string, describes: number, tests: number, extra = ''): string {
  const lines = [`import { describe, test } from 'vitest'`, LOG, extra]
  for (let d = 0; d < describes; d++) {
    lines.push(`describe('d${d}', () => {`)
    for (let t = 0; t < tests; t++) lines.push(`  test('t${t}', () => log('${name} d${d} t${t}'))`)
    lines.push('})')
  }
  return lines.join('\n')
}
