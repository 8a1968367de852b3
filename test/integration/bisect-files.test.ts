// Nothing of the user's is lost to a bisect: while `flakeseed bisect` runs (a suite with a 3 s
// test), a user's edits and new folders in the project survive byte for byte, and an edit to a
// source file the tests import stops the bisect, naming the file, rather than mix two versions.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedWhere } from '../helpers/cli.js'
import { config, createProject, type Project } from '../helpers/project.js'

const FILE = 'test/app.test.ts'
const SLOW = testId('', FILE, 'slow')
const VICTIM = testId('', FILE, 'victim')
const LOG_LINES = Array.from({ length: 200 }, (_, i) => `entry ${i}`).join('\n')

/** A suite whose slow test (3 s) pollutes module state the victim reads; each start of it is marked outside the project. */
function slowProject(): Project {
  return createProject({
    'vitest.config.ts': config('', 'fileParallelism: false'),
    'src/app.ts': 'export const state = { dirty: false }\n',
    [FILE]: [
      `import { appendFileSync, writeFileSync } from 'node:fs'`,
      `import { expect, test } from 'vitest'`,
      `import { state } from '../src/app'`,
      `test('slow', async () => {`,
      `  appendFileSync(process.env.MARKS!, 'slow\\n')`,
      // A scratch file with a new name each time, where nothing else of the tests lies: only the
      // worker's note of the write tells bisect it is the tests'.
      `  writeFileSync(\`scratch-\${process.pid}-\${Date.now()}.txt\`, 'x')`,
      `  await new Promise((r) => setTimeout(r, 3000))`,
      `  state.dirty = true`,
      `})`,
      `test('victim', () => { expect(state.dirty).toBe(false) })`,
      `test('other', () => {})`,
      '',
    ].join('\n'),
    'notes/log.txt': `${LOG_LINES}\n`,
  })
}

/** Records a failing run, then starts `bisect last` in the background; `marks()` counts the slow test's starts in it. */
async function startBisect(project: Project, args: string[]) {
  const ids = ['slow', 'victim', 'other'].map((n) => testId('', FILE, n))
  const seed = seedWhere(ids, (o) => runsBefore(o, SLOW, VICTIM))
  const marksDir = mkdtempSync(join(tmpdir(), 'flakeseed-marks-'))
  const recorded = await project.runVitest([], { FLAKESEED_SEED: seed, MARKS: join(marksDir, 'run') })
  expect(recorded.code, recorded.output).toBe(1)
  // A file the user writes the moment the run ends: not the tests' for when it was written.
  writeFileSync(join(project.dir, 'notes/after-run.txt'), 'start\n')
  const marksFile = join(marksDir, 'bisect')
  const child = project.spawnCli(['bisect', 'last', '--repeat', '1', ...args], { MARKS: marksFile })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => child.on('close', (code) => done({ code, stdout, stderr })))
  const marks = () => (existsSync(marksFile) ? readFileSync(marksFile, 'utf8').split('\n').filter(Boolean).length : 0)
  /** Resolves once the slow test has started `count` times: a probe is running it now. */
  const duringProbe = async (count: number) => {
    for (let i = 0; i < 2400 && marks() < count; i++) await new Promise((r) => setTimeout(r, 25))
    expect(marks(), stderr).toBeGreaterThanOrEqual(count)
  }
  return { exited, duringProbe }
}

describe('bisect leaves the user’s files alone', () => {
  test("a line appended to a log, a new drafts/ folder and a new file, made while the first and a later probe run, are intact; the tests' own scratch files are put back; the bisect completes", async () => {
    const project = slowProject()
    const { exited, duringProbe } = await startBisect(project, ['--json'])
    const scratch = () => readdirSync(project.dir).filter((f) => f.startsWith('scratch-'))
    expect(scratch()).toHaveLength(1)
    // The first probe: the one that runs the slow test first.
    await duringProbe(1)
    appendFileSync(join(project.dir, 'notes/log.txt'), 'written by the user during the first probe\n')
    appendFileSync(join(project.dir, 'notes/after-run.txt'), 'first probe\n')
    writeFileSync(join(project.dir, 'todo.md'), '- fix the cart\n')
    await duringProbe(2)
    appendFileSync(join(project.dir, 'notes/log.txt'), 'written by the user during a later probe\n')
    appendFileSync(join(project.dir, 'notes/after-run.txt'), 'later probe\n')
    mkdirSync(join(project.dir, 'drafts'))
    writeFileSync(join(project.dir, 'drafts/plan.md'), '# plan\n')
    const result = await exited
    expect(result.code, result.stderr).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ victim: VICTIM, kind: 'victim', polluters: [SLOW] })
    expect(project.read('notes/log.txt')).toBe(`${LOG_LINES}\nwritten by the user during the first probe\nwritten by the user during a later probe\n`)
    expect(project.read('todo.md')).toBe('- fix the cart\n')
    expect(project.read('notes/after-run.txt')).toBe('start\nfirst probe\nlater probe\n')
    expect(project.read('drafts/plan.md')).toBe('# plan\n')
    expect(scratch()).toHaveLength(1)
  })

  test('an edit to a source file the tests import stops the bisect with one line naming it; the edit is intact', async () => {
    const project = slowProject()
    const { exited, duringProbe } = await startBisect(project, [])
    await duringProbe(2)
    appendFileSync(join(project.dir, 'src/app.ts'), 'export const edited = true\n')
    const result = await exited
    expect(result.code, result.stderr).toBe(2)
    // Besides the note on the recorded run's scratch file, moved aside while the probes ran.
    const lines = result.stderr.split('\n').filter((line) => line && !line.startsWith('flakeseed: moved aside while the probes run'))
    expect(lines, result.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(/^flakeseed: src\/app\.ts changed while bisect ran; results from two versions would be mixed: stopped after probe \d+$/)
    // What was established so far is shown, marked as cut short.
    expect(result.stdout).toContain('interrupted')
    expect(project.read('src/app.ts')).toBe('export const state = { dirty: false }\nexport const edited = true\n')
  })
})

/** Two victims in two files; the second one's polluter writes out/report.txt, which its victim must not find. */
function twoVictimsProject(): { project: Project; settings: string[]; files: string[]; seed: string } {
  const project = createProject({
    'vitest.config.ts': config('', 'fileParallelism: false'),
    'src/settings.ts': `export const settings = { locale: 'en' }\n`,
    'test/settings.test.ts': [
      `import { expect, test } from 'vitest'`,
      `import { settings } from '../src/settings'`,
      `test('switches to french', () => { settings.locale = 'fr' })`,
      `test('speaks english by default', () => { expect(settings.locale).toBe('en') })`,
      '',
    ].join('\n'),
    'test/files.test.ts': [
      `import { existsSync, mkdirSync, writeFileSync } from 'node:fs'`,
      `import { expect, test } from 'vitest'`,
      `test('writes the report', () => {`,
      `  mkdirSync('out', { recursive: true })`,
      `  writeFileSync('out/report.txt', 'x')`,
      `})`,
      `test('starts with no report', () => { expect(existsSync('out/report.txt')).toBe(false) })`,
      '',
    ].join('\n'),
  })
  const settings = ['switches to french', 'speaks english by default'].map((n) => testId('', 'test/settings.test.ts', n))
  const files = ['writes the report', 'starts with no report'].map((n) => testId('', 'test/files.test.ts', n))
  // Files and tests sort by their own keys: one list orders both. The file that writes nothing is bisected first.
  const ids = ['test/settings.test.ts', 'test/files.test.ts', ...settings, ...files]
  const seed = seedWhere(ids, (o) => runsBefore(o, ids[0]!, ids[1]!) && runsBefore(o, settings[0]!, settings[1]!) && runsBefore(o, files[0]!, files[1]!))
  return { project, settings, files, seed }
}

describe('bisect over several victims puts back what each victim’s polluters write', () => {
  for (const jobs of ['1', '2']) {
    test(`--jobs ${jobs}: the second victim's polluter writes out/report.txt; both victims are named with their polluter, and no out/ is left`, async () => {
      const { project, settings, files, seed } = twoVictimsProject()
      const recorded = await project.runVitest([], { FLAKESEED_SEED: seed })
      expect(recorded.code, recorded.output).toBe(1)
      // What the failing run wrote is not the project's.
      rmSync(join(project.dir, 'out'), { recursive: true, force: true })
      const result = await project.runCli(['bisect', 'last', '--json', '--repeat', '1', '--jobs', jobs])
      expect(result.code, result.output).toBe(1)
      const findings = JSON.parse(result.stdout) as Array<{ victim: string; kind: string; polluters: string[] }>
      expect(findings.map((f) => ({ victim: f.victim, kind: f.kind, polluters: f.polluters }))).toEqual([
        { victim: settings[1], kind: 'victim', polluters: [settings[0]] },
        { victim: files[1], kind: 'victim', polluters: [files[0]] },
      ])
      expect(existsSync(join(project.dir, 'out')), 'out/ left behind').toBe(false)
    }, 120_000)
  }
})
