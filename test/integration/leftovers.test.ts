// What recorded runs left in the project never decides a probe: `fix`, `fix --all` and `replay
// --repeat` move aside the files the recorded run's tests left AND what later recorded runs (a
// replay) left, each unchanged since the run that recorded it, and put them back: the tree ends
// byte for byte as they found it. One fixture: a test writes out.json, another expects none.
import { appendFileSync, existsSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { git, gitCommit, gitInit, runsBefore, seedWhere } from '../helpers/cli.js'
import { treeHash } from '../helpers/files.js'
import { config, createProject, type Project } from '../helpers/project.js'

const FILE = 'test/export.test.ts'
const WRITER = testId('', FILE, 'export > writes the export')
const VICTIM = testId('', FILE, 'export > starts with no export')
const IDS = [WRITER, VICTIM, testId('', FILE, 'export > idle')]

interface FixJson {
  patches: Array<{ victim: string; verified: string }>
  unpatched: Array<{ victim: string; why: string }>
}

/** The writer leaves out.json (its bytes differ from run to run); the victim expects none. */
function exportProject(): Project {
  return createProject({
    'vitest.config.ts': config('', 'fileParallelism: false'),
    [FILE]: [
      `import { existsSync, writeFileSync } from 'node:fs'`,
      `import { describe, expect, test } from 'vitest'`,
      ``,
      `describe('export', () => {`,
      `  test('writes the export', () => {`,
      `    writeFileSync('out.json', JSON.stringify({ at: Date.now(), pid: process.pid }))`,
      `  })`,
      `  test('idle', () => {})`,
      `  test('starts with no export', () => {`,
      `    expect(existsSync('out.json')).toBe(false)`,
      `  })`,
      `})`,
      ``,
    ].join('\n'),
  })
}

/** A recorded run under a seed where `first` runs before `second`; its exit code. */
async function recordedRun(project: Project, first: string, second: string): Promise<number | null> {
  const seed = seedWhere(IDS, (o) => runsBefore(o, first, second))
  return (await project.runVitest([], { FLAKESEED_SEED: seed })).code
}

/** out.json's bytes and mtime, and the whole tree's hash. */
function snapshot(project: Project) {
  return { tree: treeHash(project), out: project.read('out.json'), mtimeMs: statSync(join(project.dir, 'out.json')).mtimeMs }
}

/** Run 1 fails (the writer ran first); `replay 1 --only` the two is run 2 and rewrites out.json. */
async function failedThenReplayed(project: Project): Promise<void> {
  expect(await recordedRun(project, WRITER, VICTIM)).toBe(1)
  const replayed = await project.runCli(['replay', '1', '--only', WRITER, '--only', VICTIM])
  expect(replayed.code, replayed.output).toBe(1)
  // Run 2 recorded out.json as it left it: a probe of run 1 must move that one aside too.
  const runs = await project.runCliJson<Array<{ id: number }>>(['runs'])
  expect(runs.map((r) => r.id)).toContain(2)
}

describe('what later recorded runs left is moved aside too', () => {
  test('fix after a replay that rewrote out.json: the patch is verified, and out.json is as the replay left it', async () => {
    const project = exportProject()
    await failedThenReplayed(project)
    const before = snapshot(project)
    const fixed = await project.runCli(['fix', '1', '--seeds', '2'])
    expect(fixed.code, fixed.output).toBe(0)
    expect(fixed.stdout).toContain(`patch for ${VICTIM}`)
    expect(fixed.stdout).toMatch(/^verified: the failing order of run 1 fails without it and passes with it/m)
    // Said in one line that stays, terminal or not (it was a progress line a terminal alone showed, and the next one overwrote).
    expect(fixed.stderr).toContain('flakeseed: moved aside while the probes run, put back at the end: out.json (the tests of run 2 created it)')
    expect(snapshot(project)).toEqual(before)
  }, 120_000)

  test('fix --all after a replay that rewrote out.json: the combined patch is verified, the tree as it was', async () => {
    const project = exportProject()
    // A passing run first (the victim ran first): the victim is flaky in the history.
    expect(await recordedRun(project, VICTIM, WRITER)).toBe(0)
    expect(await recordedRun(project, WRITER, VICTIM)).toBe(1)
    const replayed = await project.runCli(['replay', '2', '--only', WRITER, '--only', VICTIM])
    expect(replayed.code, replayed.output).toBe(1)
    const before = snapshot(project)
    const fixed = await project.runCli(['fix', '--all', '--json', '--seeds', '2'])
    expect(fixed.code, fixed.output).toBe(0)
    const json = JSON.parse(fixed.stdout) as FixJson & { combined?: { verified: string } }
    expect(json.unpatched).toEqual([])
    expect(json.patches.map((p) => p.victim)).toEqual([VICTIM])
    expect(json.combined?.verified).toMatch(/fail without it and pass with it/)
    expect(snapshot(project)).toEqual(before)
  }, 120_000)
})

describe('a file a run left that changed since is the user’s', () => {
  test('bisect leaves it where it is and names it in one line; the victim then fails alone, said as such', async () => {
    const project = exportProject()
    expect(await recordedRun(project, WRITER, VICTIM)).toBe(1)
    appendFileSync(join(project.dir, 'out.json'), '\n')
    const before = snapshot(project)
    const bisected = await project.runCli(['bisect', '1', '--repeat', '1'])
    expect(bisected.code, bisected.output).toBe(0)
    expect(bisected.stderr).toContain(
      "flakeseed: out.json: left by run 1's tests, changed since: not moved aside (taken as yours); if a result depends on it, remove it and rerun",
    )
    expect(bisected.stderr).not.toContain('moved aside while the probes run')
    expect(bisected.stdout).toContain('independent')
    // A probe's writer rewrote it, and the probe put its bytes back (its mtime is the put-back's).
    expect({ ...snapshot(project), mtimeMs: 0 }).toEqual({ ...before, mtimeMs: 0 })
  }, 120_000)
})

describe('replay --repeat starts every repeat from the state the recorded run started from', () => {
  test('a passing order repeated twice passes twice (out.json from the run and from repeat 1 out of the way), and the tree is as it was', async () => {
    const project = exportProject()
    // The victim ran before the writer: the run passed, and left out.json.
    expect(await recordedRun(project, VICTIM, WRITER)).toBe(0)
    const before = snapshot(project)
    const replayed = await project.runCli(['replay', '1', '--repeat', '2', '--json'])
    expect(replayed.code, replayed.output).toBe(0)
    const json = JSON.parse(replayed.stdout) as { failed: number; tests: Array<{ test: string; runs: number; failures: number }> }
    expect(json.tests.find((t) => t.test === VICTIM)).toEqual(expect.objectContaining({ runs: 2, failures: 0 }))
    expect(json.failed).toBe(0)
    expect(replayed.stderr).toContain("flakeseed: moved aside while the repeats run, put back at the end: out.json (the recorded run's tests created it)")
    expect(replayed.stderr).toContain('flakeseed: removed after each repeat, so that the next started as the first: out.json')
    expect(snapshot(project)).toEqual(before)
  }, 120_000)

  test('then bisect of the run: out.json is as the run recorded it, not as the newest repeat did, so it is moved aside and the victim is order-dependent', async () => {
    const project = exportProject()
    expect(await recordedRun(project, WRITER, VICTIM)).toBe(1)
    const repeated = await project.runCli(['replay', '1', '--repeat', '2'])
    expect(repeated.code, repeated.output).toBe(1)
    const before = snapshot(project)
    const bisected = await project.runCli(['bisect', '1', '--repeat', '1', '--no-diagnose'])
    expect(bisected.code, bisected.output).toBe(1)
    expect(bisected.stdout).toMatch(/^class +order-dependent/m)
    expect(bisected.stdout).toContain(`polluter ${WRITER}`)
    expect(bisected.output).not.toContain('changed since')
    expect(snapshot(project)).toEqual(before)
  }, 120_000)
})

describe('hunt moves aside what the project’s recorded runs left', () => {
  test('a new test that expects no out.json, after a recorded run left one: the older writer is found as its polluter, and out.json is as the run left it', async () => {
    const project = exportProject()
    const full = project.read(FILE)
    // The base lacks the victim; the change adds it (declared last: the plain order runs the writer first).
    const victim = `  test('starts with no export', () => {\n    expect(existsSync('out.json')).toBe(false)\n  })\n`
    expect(full).toContain(victim)
    project.write({ '.gitignore': '.flakeseed\nout.json\n', [FILE]: full.replace(victim, '') })
    gitInit(project)
    git(project, 'checkout', '-qb', 'change')
    project.write({ [FILE]: full })
    gitCommit(project, 'the change')
    expect(await recordedRun(project, WRITER, VICTIM)).toBe(1)
    const before = snapshot(project)
    const hunted = await project.runCli(['hunt', '--base', 'main', '--json', '--seeds', '0', '--repeat', '1'])
    expect([0, 1], hunted.output).toContain(hunted.code)
    const json = JSON.parse(hunted.stdout) as { findings: Array<{ victim: string; polluters: string[] }>; unblamed: unknown[]; files?: string[] }
    // With out.json there, the victim would fail in every order and nobody would be blamed.
    expect(json.unblamed, hunted.output).toEqual([])
    expect(json.findings.map((f) => [f.victim, f.polluters])).toEqual([[VICTIM, [WRITER]]])
    // In the result, so the in-run hunt's child (whose stderr nobody sees) says it too.
    expect(json.files).toEqual(['moved aside while the probes run, put back at the end: out.json (the tests of run 1 created it)'])
    expect(snapshot(project)).toEqual(before)
  }, 180_000)
})

describe('SIGTERM mid-probe (a cancelled CI job, the in-job deadline)', () => {
  test('bisect exits 143 and puts back both what the probe wrote and what it moved aside: the tree as it was', async () => {
    const project = exportProject()
    // In the bisect's probes only (MARK is set for the CLI), the writer says it wrote, then waits.
    project.write({
      [FILE]: project
        .read(FILE)
        .replace(
          `    writeFileSync('out.json', JSON.stringify({ at: Date.now(), pid: process.pid }))\n`,
          `    writeFileSync('out.json', JSON.stringify({ at: Date.now(), pid: process.pid }))\n    if (process.env.MARK) { writeFileSync(process.env.MARK, 'wrote'); await new Promise((r) => setTimeout(r, 60_000)) }\n`,
        )
        .replace(`test('writes the export', () => {`, `test('writes the export', async () => {`),
    })
    expect(await recordedRun(project, WRITER, VICTIM)).toBe(1)
    const before = snapshot(project)
    const mark = join(tmpdir(), `flakeseed-mark-${process.pid}-${Date.now()}`)
    const bisect = project.spawnCli(['bisect', 'last'], { MARK: mark })
    const exited = new Promise<number | null>((done) => bisect.on('exit', (code, signal) => done(code ?? (signal ? -1 : null))))
    // The probe that ran the writer is in flight, its out.json in the project, the run's aside.
    while (!existsSync(mark)) await new Promise((r) => setTimeout(r, 50))
    expect(project.read('out.json')).not.toBe(before.out)
    bisect.kill('SIGTERM')
    expect(await exited).toBe(143)
    rmSync(mark, { force: true })
    expect(snapshot(project)).toEqual(before)
  }, 120_000)
})
