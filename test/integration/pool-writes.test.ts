// The files a probe's tests write are seen in every pool: a test that writes through a named
// import of `node:fs` (`import { writeFileSync } from 'node:fs'`) under vmThreads and vmForks
// too, where each vm context copies `node:fs`'s functions when it first evaluates the module
// (src/worker/writes-preload.ts). Bisect names the file leak and puts the file back.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedWhere } from '../helpers/cli.js'
import { treeHash } from '../helpers/files.js'
import { config, createProject, type Project } from '../helpers/project.js'

const FILE = 'test/a.test.ts'
const [WRITER, VICTIM, OTHER] = ['writer', 'victim', 'other'].map((n) => testId('', FILE, n)) as [string, string, string]

function leakProject(pool: string, options = ''): Project {
  return createProject({
    'vitest.config.ts': config(options, `pool: '${pool}'`),
    [FILE]: [
      `import { existsSync, writeFileSync } from 'node:fs'`,
      `import { expect, test } from 'vitest'`,
      `test('writer', () => { writeFileSync('leftover.txt', 'x') })`,
      `test('victim', () => { expect(existsSync('leftover.txt')).toBe(false) })`,
      `test('other', () => {})`,
      '',
    ].join('\n'),
  })
}

const LEAK_SEED = seedWhere([WRITER, VICTIM, OTHER], (o) => runsBefore(o, WRITER, VICTIM))

describe('bisect sees what the tests write through a named fs import, in every pool', () => {
  for (const pool of ['forks', 'threads', 'vmThreads', 'vmForks']) {
    test(`${pool}: the writer is the polluter, leftover.txt is named as the leak and put back`, async () => {
      const project = leakProject(pool)
      const recorded = await project.runVitest([], { FLAKESEED_SEED: LEAK_SEED })
      expect(recorded.code, recorded.output).toBe(1)
      // What the failing run left is not the project's.
      project.remove('leftover.txt')
      const before = treeHash(project)
      const result = await project.runCli(['bisect', 'last', '--repeat', '1'])
      expect(result.code, result.output).toBe(1)
      expect(result.stdout).toContain('polluter')
      expect(result.stdout).toContain('writer')
      expect(result.stdout).toContain('leftover.txt')
      expect(result.stdout).not.toContain('independent')
      expect(existsSync(join(project.dir, 'leftover.txt')), 'leftover.txt left behind').toBe(false)
      expect(treeHash(project)).toBe(before)
    }, 120_000)
  }
})

describe('bisect right after the recorded run: what the run’s tests left does not decide the probes', () => {
  for (const pool of ['forks', 'vmThreads']) {
    test(`${pool}: leftover.txt from the run is moved aside while the probes run, the writer is the polluter, and the tree after the bisect is the tree before it`, async () => {
      const project = leakProject(pool)
      const recorded = await project.runVitest([], { FLAKESEED_SEED: LEAK_SEED })
      expect(recorded.code, recorded.output).toBe(1)
      expect(project.read('leftover.txt')).toBe('x')
      const before = treeHash(project)
      const result = await project.runCli(['bisect', 'last', '--repeat', '1'])
      expect(result.code, result.output).toBe(1)
      expect(result.stdout).toMatch(/polluter.*writer/)
      expect(result.stdout).toContain('leftover.txt')
      expect(result.stdout).not.toContain('independent')
      expect(result.stderr).toContain('moved aside while the probes run, put back at the end: leftover.txt')
      expect(project.read('leftover.txt')).toBe('x')
      expect(treeHash(project)).toBe(before)
    }, 120_000)
  }
})

test('the bisect in the failing job, right after the run: the writer is the polluter, and leftover.txt is still there after it', async () => {
  const project = leakProject('forks', `{ bisect: { onFailure: 'new', budget: 120 } }`)
  const run = await project.runVitest([], { FLAKESEED_SEED: LEAK_SEED })
  expect(run.code, run.output).toBe(1)
  expect(run.stdout).toContain('flakeseed bisecting')
  expect(run.stdout).toMatch(/polluter +test\/a\.test\.ts > writer/)
  expect(run.stdout).not.toContain('independent')
  // Said in the job's log, as the CLI's bisect says it (the bisect's own process has no reader).
  expect(run.stdout).toContain("flakeseed: moved aside while the probes run, put back at the end: leftover.txt (the recorded run's tests created it)")
  expect(project.read('leftover.txt')).toBe('x')
}, 180_000)
