// The in-job processes' protocol (src/run/child.ts), on tiny entries built on dist/: what the parent
// gets back when the child answers, throws, hangs past its deadline or dies before answering, and
// which of the parent's variables the child does not inherit.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { childEnv, KILL_GRACE_MS, runChild } from '../../src/run/child.js'
import { REPO } from '../helpers/project.js'

const dir = mkdtempSync(join(tmpdir(), 'flakeseed-child-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const lib = (path: string) => pathToFileURL(join(REPO, 'dist/src', path)).href

/** A child entry: `body` runs after the protocol's and the errors' modules are imported. */
function entry(name: string, body: string): string {
  const path = join(dir, `${name}.mjs`)
  writeFileSync(path, `import { serveChild } from '${lib('run/child.js')}'\nimport { FlakeseedError } from '${lib('core/errors.js')}'\n${body}\n`)
  return path
}

const options = {
  cwd: dir,
  env: { ...process.env, VITEST_POOL_ID: '1', TINYPOOL_WORKER_ID: '1', FLAKESEED_SEED: '7', FLAKESEED_HUNT: 'main', KEEP: 'yes' },
  timeoutMs: 60_000,
}

describe('runChild', () => {
  test('the answer comes back as data; the child sees its input and none of Vitest’s variables, the seed or the hunt', async () => {
    const echo = entry(
      'echo',
      `await serveChild(async (input) => ({ input, env: Object.keys(process.env).filter((k) => /^(VITEST|TINYPOOL|FLAKESEED_)/.test(k)), keep: process.env.KEEP }))`,
    )
    expect(await runChild(echo, { run: 3, tests: ["it's"] }, options)).toEqual({ input: { run: 3, tests: ["it's"] }, env: [], keep: 'yes' })
  })

  test('a thrown flakeseed error is its one line without the prefix; anything else is an internal error', async () => {
    const known = entry('known', `await serveChild(async () => { throw new FlakeseedError('flakeseed: run 9 is not in the history\\nmore') })`)
    const bug = entry('bug', `await serveChild(async () => { throw new TypeError('x is undefined') })`)
    expect(await runChild(known, {}, options)).toEqual({ error: 'run 9 is not in the history' })
    expect(await runChild(bug, {}, options)).toEqual({ error: 'internal error: x is undefined' })
  })

  test('past its deadline the child is killed and says it was cut by the budget', async () => {
    const hangs = entry('hangs', `await serveChild(() => new Promise(() => setInterval(() => {}, 1000)))`)
    expect(await runChild(hangs, {}, { ...options, timeoutMs: 300 })).toEqual({ error: 'cut by the budget' })
  })

  test('at its deadline the child gets SIGTERM first (its exit hooks run: what it moved aside goes back); one that ignores it is killed', async () => {
    const marker = join(dir, 'put-back')
    const tidy = entry(
      'tidy',
      [
        `import { writeFileSync } from 'node:fs'`,
        `process.on('SIGTERM', () => process.exit(143))`,
        `process.on('exit', () => writeFileSync(${JSON.stringify(marker)}, 'back'))`,
        `await serveChild(() => new Promise(() => setInterval(() => {}, 1000)))`,
      ].join('\n'),
    )
    expect(await runChild(tidy, {}, { ...options, timeoutMs: 300 })).toEqual({ error: 'cut by the budget' })
    expect(existsSync(marker)).toBe(true)
    const stubborn = entry('stubborn', `process.on('SIGTERM', () => {})\nawait serveChild(() => new Promise(() => setInterval(() => {}, 1000)))`)
    const started = Date.now()
    expect(await runChild(stubborn, {}, { ...options, timeoutMs: 300 })).toEqual({ error: 'cut by the budget' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(KILL_GRACE_MS)
  }, 30_000)

  test('a child that dies before answering: the first line it wrote to stderr, else its exit code', async () => {
    const dies = entry('dies', `process.stderr.write('\\nflakeseed: better-sqlite3 cannot load\\nstack\\n'); process.exit(3)`)
    const silent = entry('silent', `process.exit(4)`)
    expect(await runChild(dies, {}, options)).toEqual({ error: 'better-sqlite3 cannot load' })
    expect(await runChild(silent, {}, options)).toEqual({ error: 'exit code 4' })
  })

  test('childEnv leaves the parent’s environment untouched', () => {
    const env = { VITEST: 'true', FLAKESEED_DB: 'h.db' }
    expect(childEnv(env)).toEqual({ FLAKESEED_DB: 'h.db' })
    expect(env).toEqual({ VITEST: 'true', FLAKESEED_DB: 'h.db' })
  })
})
