// History in SQLite, end to end: real Vitest runs fixture projects with the plugin, and the tests
// assert what a user sees: the rows in the DB, `flakeseed runs|show|history` output and exit codes,
// and Vitest's own exit code, including when the DB cannot be used or Vitest is killed.
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, test } from 'vitest'
import { whileUnwritableAsync } from '../helpers/files.js'
import { expectOneLineError, type RunJson, type ShowJson } from '../helpers/cli.js'
import { config, createProject, type Project } from '../helpers/project.js'
import { sortByKey } from '../../src/core/order.js'
import { testId } from '../../src/core/names.js'

const SERIAL = `fileParallelism: false`
const require = createRequire(import.meta.url)

// ---- fixture -------------------------------------------------------------------------------

/**
 * A test file whose tests log `<file> <name>` to ORDER_LOG as they run. Special tests: `fails`
 * throws when FAIL is set, `dies` SIGKILLs its worker when KILL is set, `skipped` is `test.skip`.
 * With HANG set, the file's beforeAll hangs when two other files have already run, so a run can
 * be killed after some files finished, whatever the seed.
 */
function scenarioFile(file: string, blocks: Record<string, string[]>): string {
  const lines = [
    `import { beforeAll, describe, test } from 'vitest'`,
    `import { appendFileSync, existsSync, readFileSync } from 'node:fs'`,
    `const FILE = ${JSON.stringify(file)}`,
    `const log = (name: string) => appendFileSync(process.env.ORDER_LOG!, FILE + ' ' + name + '\\n')`,
    `beforeAll(async () => {`,
    `  if (!process.env.HANG) return`,
    `  const log = existsSync(process.env.ORDER_LOG!) ? readFileSync(process.env.ORDER_LOG!, 'utf8') : ''`,
    `  const files = new Set(log.split('\\n').filter(Boolean).map((line) => line.split(' ')[0]))`,
    `  if (files.size < 2) return`,
    `  appendFileSync(process.env.ORDER_LOG!, 'hang ' + FILE + '\\n')`,
    `  await new Promise((resolve) => setTimeout(resolve, 100_000))`,
    `}, 120_000)`,
  ]
  const body = (name: string, title: string) => {
    if (title === 'fails') return `() => { log(${JSON.stringify(name)}); if (process.env.FAIL) throw new Error('fails on purpose') }`
    if (title === 'dies') return `() => { log(${JSON.stringify(name)}); if (process.env.KILL) process.kill(process.pid, 'SIGKILL') }`
    return `() => log(${JSON.stringify(name)})`
  }
  const testLine = (prefix: string, title: string) =>
    title === 'skipped' ? `test.skip('skipped', () => log('never'))` : `test(${JSON.stringify(title)}, ${body(prefix + title, title)})`
  for (const [block, titles] of Object.entries(blocks)) {
    if (!block) lines.push(...titles.map((t) => testLine('', t)))
    else lines.push(`describe(${JSON.stringify(block)}, () => {`, ...titles.map((t) => `  ${testLine(`${block} > `, t)}`), `})`)
  }
  return `${lines.join('\n')}\n`
}

const FILES = {
  'test/a.test.ts': { d0: ['t0', 't1', 't2'], d1: ['t0', 't1', 't2'] },
  'test/b.test.ts': { d0: ['t0', 't1', 't2', 'fails'], '': ['skipped'] },
  'test/c.test.ts': { d0: ['t0', 't1', 'dies', 't3'] },
  'test/d.test.ts': { '': ['t0', 't1', 't2', 't3'] },
}
const TOTAL = 19
const SKIPPED = 1

function suite(): Project {
  const files: Record<string, string> = { 'vitest.config.ts': config('', SERIAL) }
  for (const [file, blocks] of Object.entries(FILES)) files[file] = scenarioFile(file, blocks)
  return createProject(files)
}

// ---- helpers -------------------------------------------------------------------------------

interface Done {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  output: string
  log: string[]
}

/** `vitest run` in the background: `exited` when the process is gone, `done` when its output closed too. */
function background(project: Project, env: NodeJS.ProcessEnv, args: string[] = []) {
  const logFile = join(project.dir, `order-${Math.random().toString(36).slice(2)}.log`)
  const child = project.spawnVitest(args, { ORDER_LOG: logFile, ...env })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [])
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const done = new Promise<Done>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, output: `${stdout}\n${stderr}`, log: readLog() })),
  )
  return { child, exited, done, readLog, output: () => `${stdout}\n${stderr}` }
}

/** Polls `check` until it returns something truthy; fails with `what` at the deadline. */
async function until<T>(what: string, check: () => T | undefined | null | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      const value = check()
      if (value) return value
    } catch {
      // not there yet (e.g. the DB does not exist yet)
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function query<T>(path: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}

/** Lines of flakeseed warnings/errors (`flakeseed: …`), not its seed and run lines. */
function warnings(output: string): string[] {
  return output.split('\n').filter((line) => /^\s*flakeseed:/.test(line))
}

/** What the fixture tests logged, as `show --json` would list it (skipped tests never log). */
function executed(show: ShowJson): string[] {
  return show.files.flatMap((f) => f.tests.filter((t) => t.state !== 'skipped').map((t) => `${f.file} ${t.name}`))
}

// ---- tests ---------------------------------------------------------------------------------

describe('recording runs', () => {
  test('three seeds: `runs` lists them with seeds and counts, `show` gives the order that really ran', async () => {
    const project = suite()
    const seeds = ['11', '22', '33']
    const logs: string[][] = []
    for (const seed of seeds) {
      const result = await project.runVitest([], { FLAKESEED_SEED: seed, FAIL: '1' })
      expect(result.code, result.output).toBe(1)
      expect(warnings(result.output)).toEqual([])
      expect(result.log).toHaveLength(TOTAL - SKIPPED)
      logs.push(result.log)
    }
    // The seeds really gave different orders, so matching each run's order below means something.
    expect(new Set(logs.map((l) => l.join())).size).toBe(3)

    const runs = await project.runCliJson<RunJson[]>(['runs'])
    expect(runs.map((r) => r.seed)).toEqual([...seeds].reverse())
    for (const run of runs) {
      expect(run).toMatchObject({ status: 'failed', passed: TOTAL - SKIPPED - 1, failed: 1, skipped: SKIPPED })
    }
    expect(new Set(runs.map((r) => r.uuid)).size).toBe(3)

    const byRef = (ref: string) => project.runCliJson<ShowJson>(['show', ref])
    const shows = [await byRef(String(runs[2]!.id)), await byRef(String(runs[1]!.id)), await byRef('last')]
    shows.forEach((show, i) => {
      expect(show.run.seed).toBe(seeds[i])
      expect(show.run.status).toBe('failed')
      // Files in the order they ran (one at a time), tests in the order they ran in each file.
      expect(executed(show)).toEqual(logs[i])
      expect(show.files.map((f) => f.index)).toEqual([0, 1, 2, 3])
      expect(show.files.map((f) => f.file).sort()).toEqual(Object.keys(FILES).sort())
      for (const f of show.files) expect(f.tests.map((t) => t.index)).toEqual(f.tests.map((_, k) => k))
      const failed = show.files.flatMap((f) => f.tests.filter((t) => t.state === 'failed').map((t) => ({ file: f.file, ...t })))
      expect(failed).toHaveLength(1)
      expect(failed[0]).toMatchObject({ file: 'test/b.test.ts', name: 'd0 > fails' })
      expect(failed[0]!.error).toContain('fails on purpose')
      const skipped = show.files.flatMap((f) => f.tests.filter((t) => t.state === 'skipped').map((t) => `${f.file} ${t.name}`))
      expect(skipped).toEqual(['test/b.test.ts skipped'])
    })

    // history follows one test across the three runs, newest first, with its recorded position.
    const history = await project.runCliJson<
      Array<{ run: number; seed: string; state: string; file: string; name: string; fileIndex: number; testIndex: number }>
    >(['history', 'test/b.test.ts > d0 > fails'])
    expect(history.map((h) => [h.run, h.seed, h.state])).toEqual(runs.map((r) => [r.id, r.seed, 'failed']))
    history.forEach((h, i) => {
      const show = shows[2 - i]!
      const file = show.files.find((f) => f.file === 'test/b.test.ts')!
      expect(h.fileIndex).toBe(file.index)
      expect(h.testIndex).toBe(file.tests.find((t) => t.name === 'd0 > fails')!.index)
    })
  })

  test('names with Unicode, quotes, newlines and 2,000 characters round-trip exactly', async () => {
    const titles = [
      'ünïcödé 測試 🎲 — ok',
      `it's "double" and \`back\` quoted`,
      'line one\nline two\r\nline three',
      'tab\there and back\\slash',
      '$(echo pwned) ; rm -rf / #',
      'a > b looks nested',
      'x'.repeat(1000) + 'é'.repeat(1000),
    ]
    const block = 'déscribe "ñ" \n 2'
    const source = [
      `import { describe, test } from 'vitest'`,
      ...titles.map((t) => `test(${JSON.stringify(t)}, () => {})`),
      `describe(${JSON.stringify(block)}, () => {`,
      ...titles.map((t) => `  test(${JSON.stringify(t)}, () => {})`),
      `})`,
    ].join('\n')
    const project = createProject({ 'vitest.config.ts': config(), 'test/names.test.ts': source })
    const result = await project.runVitest([], { FLAKESEED_SEED: '5' })
    expect(result.code, result.output).toBe(0)
    const declared = [...titles, ...titles.map((t) => `${block} > ${t}`)]
    const show = await project.runCliJson<ShowJson>(['show', 'last'])
    expect(show.files).toHaveLength(1)
    const names = show.files[0]!.tests.map((t) => t.name)
    expect([...names].sort()).toEqual([...declared].sort())
    expect(show.files[0]!.tests.map((t) => t.index)).toEqual(names.map((_, i) => i))
    // The longest name, passed back as an exact test id, finds exactly that test.
    const long = `${block} > ${titles[6]}`
    expect(long.length).toBeGreaterThan(2000)
    const history = await project.runCliJson<Array<{ name: string; state: string }>>(['history', `test/names.test.ts > ${long}`])
    expect(history).toEqual([expect.objectContaining({ name: long, state: 'passed' })])
  })

  test('8 concurrent `vitest run` into one DB: 8 complete runs, every result present', async () => {
    const project = suite()
    const seeds = ['101', '102', '103', '104', '105', '106', '107', '108']
    const runs = seeds.map((seed) => background(project, { FLAKESEED_SEED: seed, FAIL: '1' }))
    const results = await Promise.all(runs.map((r) => r.done))
    results.forEach((r) => {
      expect(r.code, r.output).toBe(1)
      expect(warnings(r.output), r.output).toEqual([])
      expect(r.log).toHaveLength(TOTAL - SKIPPED)
    })
    const listed = await project.runCliJson<RunJson[]>(['runs'])
    expect(listed.map((r) => r.seed).sort()).toEqual(seeds)
    for (const run of listed) {
      expect(run).toMatchObject({ status: 'failed', passed: TOTAL - SKIPPED - 1, failed: 1, skipped: SKIPPED })
      const show = await project.runCliJson<ShowJson>(['show', String(run.id)])
      expect(executed(show)).toEqual(results[seeds.indexOf(run.seed)]!.log)
    }
  })
})

describe('what a run records about itself', () => {
  test('CI provider and URL, shard, pool, isolation, retries, passed-after-retry, duration and worker', async () => {
    const project = createProject({
      'vitest.config.ts': config('', `pool: 'threads', isolate: false, fileParallelism: false, retry: 2`),
      'test/a.test.ts': [
        `import { test } from 'vitest'`,
        `let attempts = 0`,
        `test('second time lucky', () => { if (++attempts < 2) throw new Error('first attempt') })`,
        `test('slow', async () => { await new Promise((r) => setTimeout(r, 60)) })`,
      ].join('\n'),
      'test/b.test.ts': `import { test } from 'vitest'\ntest('b', () => {})\n`,
    })
    const env = { FLAKESEED_SEED: '5', GITLAB_CI: 'true', CI: 'true', CI_JOB_URL: 'https://gitlab.example/acme/shop/-/jobs/7' }
    for (const shard of ['1/2', '2/2']) expect((await project.runVitest([`--shard=${shard}`], env)).code).toBe(0)
    const db = join(project.dir, '.flakeseed/history.db')
    const runs = query<Record<string, unknown>>(db, 'SELECT * FROM runs ORDER BY id')
    expect(runs.map((r) => r.shard)).toEqual(['1/2', '2/2'])
    for (const run of runs) {
      expect(run).toMatchObject({
        status: 'passed',
        seed: '5',
        seed_source: 'env',
        ci_provider: 'gitlab',
        ci_url: 'https://gitlab.example/acme/shop/-/jobs/7',
        pool: 'threads',
        isolate: 0,
        file_parallelism: 0,
        platform: `${process.platform}-${process.arch}`,
      })
      expect(run.vitest_version).toMatch(/^\d+\.\d+\.\d+/)
      expect(run.node_version).toBe(process.version)
      expect(JSON.parse(run.argv as string)).toContain(`--shard=${run.shard}`)
    }
    const results = query<{ name: string; retries: number; flaky: number; duration_ms: number; worker: number | null; state: number }>(
      db,
      'SELECT t.name, r.retries, r.flaky, r.duration_ms, r.worker, r.state FROM results r JOIN tests t ON t.id = r.test_id',
    )
    const by = (name: string) => results.find((r) => r.name === name)!
    expect(by('second time lucky')).toMatchObject({ retries: 1, flaky: 1, state: 0 })
    expect(by('slow')).toMatchObject({ retries: 0, flaky: 0, state: 0 })
    expect(by('slow').duration_ms).toBeGreaterThanOrEqual(50)
    expect(results).toHaveLength(3)
    for (const r of results) expect(r.worker).toEqual(expect.any(Number))
  })
})

describe('killed and interrupted runs', () => {
  let project: Project
  beforeAll(() => {
    project = suite()
  })

  /** Starts a run that hangs in its third file, and waits until the first two files are in the DB. */
  async function hangingRun(seed: string) {
    const db = join(project.dir, `${seed}.db`)
    const run = background(project, { FLAKESEED_SEED: seed, HANG: '1', FLAKESEED_DB: `${seed}.db` })
    try {
      await until('two files recorded and the third one hanging', () => {
        const files = query<{ n: number }>(db, 'SELECT count(DISTINCT file_index) AS n FROM results')[0]!.n
        return files >= 2 && run.readLog().some((l) => l.startsWith('hang '))
      })
    } catch (error) {
      run.child.kill('SIGKILL')
      throw new Error(`${(error as Error).message}\n${run.output()}`)
    }
    return { ...run, db }
  }

  /** The files the run finished before it hung, as the fixture tests logged them. */
  function finishedBeforeHang(log: string[]): string[] {
    return log.slice(
      0,
      log.findIndex((l) => l.startsWith('hang ')),
    )
  }

  test('SIGKILL of the Vitest main process keeps the finished files, and the run shows as crashed', async () => {
    const run = await hangingRun('41')
    run.child.kill('SIGKILL')
    await run.exited
    const log = run.readLog()
    const before = finishedBeforeHang(log)
    expect(new Set(before.map((l) => l.split(' ')[0])).size).toBe(2)

    const env = { FLAKESEED_DB: '41.db' }
    const [listed] = await project.runCliJson<RunJson[]>(['runs'], env)
    expect(listed).toMatchObject({ seed: '41', status: 'crashed', failed: 0 })
    expect(listed!.passed + listed!.skipped).toBe(before.length + (before.some((l) => l.startsWith('test/b.test.ts')) ? SKIPPED : 0))
    const show = await project.runCliJson<ShowJson>(['show', 'last'], env)
    expect(show.run.status).toBe('crashed')
    expect(executed(show)).toEqual(before)
    expect((await project.runCli(['show', 'last'], env)).stdout).toMatch(/· crashed ·/)
    // The ordinary `runs` table says so too.
    expect((await project.runCli(['runs'], env)).stdout).toMatch(/\bcrashed$/m)
    // The DB is consistent and takes the next run.
    const next = await project.runVitest([], { FLAKESEED_SEED: '42', FLAKESEED_DB: '41.db' })
    expect(next.code, next.output).toBe(0)
    expect((await project.runCliJson<RunJson[]>(['runs'], env)).map((r) => [r.seed, r.status])).toEqual([
      ['42', 'passed'],
      ['41', 'crashed'],
    ])
  })

  test('SIGINT to the Vitest main process records the run as interrupted, keeping the finished files', async () => {
    const run = await hangingRun('43')
    run.child.kill('SIGINT')
    // Should Vitest ignore the signal, do not wait for the hanging file.
    const stuck = setTimeout(() => run.child.kill('SIGKILL'), 30_000)
    const done = await run.done
    clearTimeout(stuck)
    // Vitest's own exit code for SIGINT (128 + 2), unchanged by flakeseed's handler.
    expect([done.code, done.signal], done.output).toEqual([130, null])
    const before = finishedBeforeHang(done.log)
    const env = { FLAKESEED_DB: '43.db' }
    const [listed] = await project.runCliJson<RunJson[]>(['runs'], env)
    expect(listed).toMatchObject({ seed: '43', status: 'interrupted', failed: 0 })
    const show = await project.runCliJson<ShowJson>(['show', 'last'], env)
    expect(show.run.status).toBe('interrupted')
    expect(executed(show)).toEqual(before)
  })

  test('SIGKILL of a worker mid-file: the run finishes, the DB keeps what ran before and names the test that was running', async () => {
    // A seed that runs two tests of c before the one that kills its worker.
    const seed = String(
      Array.from({ length: 200 }, (_, i) => i + 44).find(
        (s) => sortByKey(['t0', 't1', 'dies', 't3'], String(s), (t) => testId('', 'test/c.test.ts', `d0 > ${t}`)).indexOf('dies') === 2,
      ),
    )
    const db = `kill-${seed}.db`
    const result = await project.runVitest([], { FLAKESEED_SEED: seed, KILL: '1', FLAKESEED_DB: db })
    // Vitest reports the dead worker as an unhandled error and fails the run.
    expect(result.code, result.output).toBe(1)
    expect(result.log).toContain('test/c.test.ts d0 > dies')
    const env = { FLAKESEED_DB: db }
    const [listed] = await project.runCliJson<RunJson[]>(['runs'], env)
    expect(listed).toMatchObject({ seed, status: 'failed', failed: 1 })
    const show = await project.runCliJson<ShowJson>(['show', 'last'], env)
    const c = show.files.find((f) => f.file === 'test/c.test.ts')!
    // The order up to the crash is kept: the two tests that passed, then the one that was running.
    const ranInC = result.log.filter((line) => line.startsWith('test/c.test.ts ')).map((line) => line.slice('test/c.test.ts '.length))
    expect(ranInC).toHaveLength(3)
    expect(c.tests.map((t) => t.name)).toEqual(ranInC)
    expect(c.tests.map((t) => t.state)).toEqual(['passed', 'passed', 'failed'])
    expect(c.tests.map((t) => t.index)).toEqual([0, 1, 2])
    expect(c.tests[2]!.error).toMatch(/worker .*died/)
    const others = show.files.filter((f) => f.file !== 'test/c.test.ts')
    expect(others.flatMap((f) => f.tests)).toHaveLength(TOTAL - 4)
    expect(others.flatMap((f) => f.tests).every((t) => t.state !== 'failed')).toBe(true)
    // The text view names it among the failures.
    expect((await project.runCli(['show', 'last'], env)).stdout).toMatch(/failures:\n\s+✗ test\/c\.test\.ts > d0 > dies\n.*worker/)
  })
})

describe('a DB that cannot be used never changes the run', () => {
  let project: Project
  const base = 'base.db'

  beforeAll(async () => {
    project = suite()
    const first = await project.runVitest([], { FLAKESEED_SEED: '1', FLAKESEED_DB: base })
    expect(first.code, first.output).toBe(0)
    expect(query<{ n: number }>(join(project.dir, base), 'SELECT count(*) AS n FROM runs')[0]!.n).toBe(1)
  })

  /** A copy of the DB with one recorded run. */
  function copyOfBase(name: string): string {
    const path = join(project.dir, name)
    copyFileSync(join(project.dir, base), path)
    return path
  }

  /** Runs once passing and once failing with FLAKESEED_DB=name: same exit codes as ever, one warning each. */
  async function expectUnchangedRuns(name: string, message: RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
    for (const [fail, code] of [
      [undefined, 0],
      ['1', 1],
    ] as const) {
      const result = await project.runVitest([], { FLAKESEED_DB: name, FLAKESEED_SEED: '7', ...(fail ? { FAIL: fail } : {}), ...env })
      expect(result.code, result.output).toBe(code)
      expect(result.log).toHaveLength(TOTAL - SKIPPED)
      const lines = warnings(result.output)
      expect(lines, result.output).toHaveLength(1)
      expect(lines[0]).toMatch(message)
      // Without a recorded run id, the end line still says how to replay: by seed.
      expect(result.stdout).toContain('replay: FLAKESEED_SEED=7 npx vitest run')
    }
  }

  test('a read-only DB file', async () => {
    const path = copyOfBase('readonly.db')
    await whileUnwritableAsync(path, async () => {
      const bytes = readFileSync(path)
      await expectUnchangedRuns('readonly.db', /readonly\.db is not writable/)
      expect(readFileSync(path).equals(bytes)).toBe(true)
      // The CLI still reads it.
      expect(await project.runCliJson<RunJson[]>(['runs'], { FLAKESEED_DB: 'readonly.db' })).toHaveLength(1)
    })
  })

  test('a WAL history on read-only media (nothing can be created beside it): every read command reads it', async () => {
    const media = join(project.dir, 'media')
    mkdirSync(media)
    const path = join(media, 'history.db')
    copyFileSync(join(project.dir, base), path)
    await whileUnwritableAsync(media, async () => {
      const env = { FLAKESEED_DB: 'media/history.db' }
      expect(await project.runCliJson<RunJson[]>(['runs'], env)).toHaveLength(1)
      for (const args of [['show', 'last'], ['history', 'd0 > t0'], ['flaky'], ['report', '--html', 'media-report.html']]) {
        const result = await project.runCli(args, env)
        expect(result.code, `${args.join(' ')}\n${result.output}`).toBe(0)
        expect(result.stderr).toBe('')
      }
      // A run cannot record there: one warning, the run as ever.
      await expectUnchangedRuns('media/history.db', /media\/history\.db is not writable/)
    })
    expect(readdirSync(media)).toEqual(['history.db'])
  })

  test('a DB locked by another writer for longer than the busy timeout', async () => {
    const path = copyOfBase('locked.db')
    // Another process holds the write lock until its stdin closes (or this test process dies).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))})
         const db = new D(${JSON.stringify(path)})
         db.exec('BEGIN EXCLUSIVE')
         console.log('locked')
         process.stdin.on('end', () => process.exit(0)).resume()`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    const released = new Promise((resolve) => holder.once('exit', resolve))
    try {
      let out = ''
      holder.stdout!.on('data', (d) => (out += d))
      await until('the lock holder', () => out.includes('locked'), 20_000)
      // FLAKESEED_DB_TIMEOUT shortens the 5 s busy timeout to keep this test fast.
      await expectUnchangedRuns('locked.db', /locked\.db is locked by another process/, { FLAKESEED_DB_TIMEOUT: '300' })
    } finally {
      holder.stdin!.end()
      await released
    }
    expect(await project.runCliJson<RunJson[]>(['runs'], { FLAKESEED_DB: 'locked.db' })).toHaveLength(1)
  })

  test('a file that is not SQLite', async () => {
    const path = join(project.dir, 'notes.db')
    const text = 'these are my notes, not a database\n'.repeat(200)
    writeFileSync(path, text)
    await expectUnchangedRuns('notes.db', /notes\.db is not a SQLite database/)
    expect(readFileSync(path, 'utf8')).toBe(text)
    // The replay-by-seed line keeps the arguments the user gave Vitest.
    const filtered = await project.runVitest(['test/', '--maxWorkers', '1'], { FLAKESEED_DB: 'notes.db', FLAKESEED_SEED: '7' })
    expect(filtered.code, filtered.output).toBe(0)
    expect(filtered.stdout).toContain('replay: FLAKESEED_SEED=7 npx vitest run test/ --maxWorkers 1\n')
    expectOneLineError(await project.runCli(['runs', '--db', 'notes.db']), /notes\.db is not a SQLite database/)
  })

  test("another application's SQLite file: one warning, and not a byte of it changed (not even switched to WAL)", async () => {
    const path = join(project.dir, 'other-app.db')
    const db = new Database(path)
    db.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine'); PRAGMA user_version = 2`)
    db.close()
    const bytes = readFileSync(path)
    await expectUnchangedRuns('other-app.db', /other-app\.db is not a flakeseed history/)
    expect(readFileSync(path).equals(bytes)).toBe(true)
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-journal`)).toBe(false)
  })

  test('a DB in a folder that cannot be created (under /proc, where Node 20 loops on mkdir -p): one warning, no hang', async () => {
    await expectUnchangedRuns('/proc/flakeseed-none/h.db', /not recording this run: cannot create the folder \/proc\/flakeseed-none: ENOENT/)
  })

  test('a DB from a newer flakeseed schema: runs warn once, the CLI refuses in one line', async () => {
    const path = copyOfBase('newer.db')
    const db = new Database(path)
    db.pragma('user_version = 99')
    db.close()
    await expectUnchangedRuns('newer.db', /newer\.db was written by a newer flakeseed \(schema 99/)
    expect(query<{ n: number }>(path, 'SELECT count(*) AS n FROM runs')[0]!.n).toBe(1)
    expect(query<{ user_version: number }>(path, 'PRAGMA user_version')[0]!.user_version).toBe(99)
    for (const args of [['runs'], ['show', 'last'], ['history', 'd0'], ['runs', '--json']]) {
      expectOneLineError(await project.runCli([...args, '--db', 'newer.db']), /newer\.db was written by a newer flakeseed .*upgrade flakeseed/)
    }
  })
})

describe('CLI bad input', () => {
  let project: Project
  beforeAll(async () => {
    project = suite()
    const result = await project.runVitest([], { FLAKESEED_SEED: '3' })
    expect(result.code, result.output).toBe(0)
  })

  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown run id', ['show', '999'], /no run 999 in .*history\.db/],
    ['a run that is not a number', ['show', 'abc'], /"abc" is not a run id/],
    ['a missing DB', ['runs', '--db', 'missing.db'], /no history at .*missing\.db/],
    ['a missing DB for show', ['show', 'last', '--db', 'missing.db'], /no history at .*missing\.db/],
    ['--limit 0', ['runs', '--limit', '0'], /--limit.*at least 1/],
    ['history --limit 0', ['history', 'd0', '--limit', '0'], /--limit.*at least 1/],
    ['--limit that is not a number', ['runs', '--limit', 'ten'], /--limit.*at least 1/],
    ['history with no match', ['history', 'no such test'], /no recorded test matches "no such test"/],
    ['show without a run', ['show'], /missing required argument/],
  ]
  for (const [what, args, message] of cases) {
    test(`${what}: exit 2, one line on stderr`, async () => {
      expectOneLineError(await project.runCli(args), message)
      expectOneLineError(await project.runCli([...args, '--json']), message)
    })
  }
})
