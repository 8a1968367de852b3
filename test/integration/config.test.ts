// The one config line on every Vitest config shape real projects use: inline projects with and
// without `extends`, projects from config files and globs, projects with their own root, the
// config file names and CLI flags Vitest accepts. Each shape must print the seed line and run in
// seeded order; a project flakeseed cannot reach must be named, never silently left unshuffled.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import { createProject, testFile, type Files, type Project } from '../helpers/project.js'

const IMPORTS = `import { defineConfig, mergeConfig } from 'vitest/config'\nimport flakeseed from 'flakeseed'\n`
const SEED_LINE = /^flakeseed seed (\S+) · .*shuffled( · replay: npx flakeseed replay \d+)?$/m

/** Two packages whose test files have the same names: `packages/a/test/x.test.ts`, `packages/b/test/x.test.ts`… */
function packages(): Files {
  const files: Files = {}
  for (const pkg of ['a', 'b']) {
    for (const file of ['x', 'y']) files[`packages/${pkg}/test/${file}.test.ts`] = testFile(`${pkg}/${file}`, 1, 5)
  }
  return files
}

/** Test files directly under `test/` of the project (no projects). */
function plain(): Files {
  return { 'test/x.test.ts': testFile('x', 1, 5), 'test/y.test.ts': testFile('y', 2, 3) }
}

async function run(project: Project, seed: string, args: string[] = []) {
  const result = await project.runVitest(['--no-file-parallelism', ...args], { FLAKESEED_SEED: seed })
  expect(result.code, result.output).toBe(0)
  expect(result.stdout.match(SEED_LINE)?.[1], result.output).toBe(seed)
  return result
}

/** Runs under two seeds: both run every expected test, in two different orders. */
async function twoSeeds(project: Project, args: string[] = [], expected = 20) {
  const first = await run(project, '1183', args)
  const second = await run(project, '77', args)
  expect(first.log).toHaveLength(expected)
  expect([...second.log].sort()).toEqual([...first.log].sort())
  expect(second.log).not.toEqual(first.log)
  return { first, second }
}

/** Whether some file's tests ran in an order other than declaration order. */
function shuffledInside(log: string[]): boolean {
  const files = new Set(log.map((line) => line.split(' ')[0]))
  return [...files].some((file) => {
    const tests = log.filter((line) => line.startsWith(`${file} `))
    return tests.join() !== [...tests].sort().join()
  })
}

/** What ran, per file label, in execution order: both seeds must shuffle inside files too. */
function expectShuffledInsideFiles(...logs: string[][]): void {
  for (const log of logs) expect(shuffledInside(log), log.join('\n')).toBe(true)
}

describe('inline projects without extends', () => {
  // Each project has its own root, and both roots hold test/x.test.ts and test/y.test.ts.
  const project = createProject({
    ...packages(),
    'vitest.config.ts': `${IMPORTS}export default defineConfig({
  plugins: [flakeseed()],
  test: {
    projects: [
      { test: { name: 'a', root: 'packages/a' } },
      { test: { name: 'b', root: 'packages/b' } },
    ],
  },
})
`,
  })

  test('both projects are shuffled in seeded order: the same seed repeats, another differs', async () => {
    const { first, second } = await twoSeeds(project)
    expect(first.stdout).toMatch(/^flakeseed seed 1183 · run (\d+) · 2 projects · 4 files shuffled · replay: npx flakeseed replay \1$/m)
    expect((await run(project, '1183')).log).toEqual(first.log)
    expectShuffledInsideFiles(first.log, second.log)
    expect(first.output).not.toMatch(/runs without flakeseed/)
    // Vitest 5 projects extend their declaring config by default: the plugin must not be added twice.
    expect(first.output).not.toMatch(/applies the same plugin multiple times/)
  })

  test('each project is recorded under its own name, ids distinct although file names collide', async () => {
    const result = await run(project, '5')
    const shown = await project.runCliJson<{ files: Array<{ project: string; file: string; tests: Array<{ name: string }> }> }>(['show', 'last'])
    const executed = shown.files.flatMap((f) => f.tests.map((t) => `${f.project}:${f.file} > ${t.name}`))
    // The fixture logs `<package>/<file> d0 t<n>`; the DB names the same test `<package>:test/<file>.test.ts > d0 > t<n>`.
    const logged = result.log.map((line) => {
      const [label, d, t] = line.split(' ')
      const [pkg, file] = label!.split('/')
      return `${pkg}:test/${file}.test.ts > ${d} > ${t}`
    })
    expect(executed).toEqual(logged)

    const db = new Database(join(project.dir, '.flakeseed/history.db'), { readonly: true })
    const tests = db.prepare('SELECT project, file, name FROM tests ORDER BY project, file, name').all() as Array<{
      project: string
      file: string
      name: string
    }>
    db.close()
    expect(tests).toHaveLength(20)
    expect(new Set(tests.map((t) => t.project))).toEqual(new Set(['a', 'b']))
    expect(tests.filter((t) => t.file === 'test/x.test.ts' && t.name === 'd0 > t0').map((t) => t.project)).toEqual(['a', 'b'])
  })

  test('with --shard the seed line counts the files of this shard', async () => {
    const counts: number[] = []
    for (const shard of ['1/2', '2/2']) {
      const result = await run(project, '1183', ['--shard', shard])
      const files = new Set(result.log.map((line) => line.split(' ')[0])).size
      expect(result.stdout, result.output).toContain(` · ${files} file${files === 1 ? '' : 's'} shuffled`)
      counts.push(files)
    }
    expect(counts[0]! + counts[1]!).toBe(4)
  })

  test('--project keeps only that project, still in seeded order', async () => {
    const { first } = await twoSeeds(project, ['--project', 'b'], 10)
    expect(first.log.every((line) => line.startsWith('b/'))).toBe(true)
    expect(first.stdout).toMatch(/^flakeseed seed 1183 · run (\d+) · 2 files shuffled · replay: npx flakeseed replay \1$/m)
  })
})

describe('projects that load the root config or their own', () => {
  test('inline projects with extends: true', async () => {
    const project = createProject({
      ...packages(),
      'vitest.config.ts': `${IMPORTS}export default defineConfig({
  plugins: [flakeseed({ db: false })],
  test: {
    projects: [
      { extends: true, test: { name: 'a', include: ['packages/a/**/*.test.ts'] } },
      { extends: true, test: { name: 'b', include: ['packages/b/**/*.test.ts'] } },
    ],
  },
})
`,
    })
    const { first, second } = await twoSeeds(project)
    expect(first.stdout).toMatch(/^flakeseed seed 1183 · 2 projects · 4 files shuffled$/m)
    expectShuffledInsideFiles(first.log, second.log)
  })

  // a has a config file without flakeseed; b has no config at all.
  const packageConfig = `import { defineConfig } from 'vitest/config'\nexport default defineConfig({ test: { name: 'a' } })\n`

  test('a glob of package folders whose configs (or lack of one) do not load the plugin; replay', async () => {
    const project = createProject({
      ...packages(),
      // Vitest's own shuffle is superseded, without Vitest announcing a seed of its own.
      'vitest.config.ts': `${IMPORTS}export default defineConfig({ plugins: [flakeseed()], test: { projects: ['packages/*'], sequence: { shuffle: true } } })\n`,
      'packages/a/vitest.config.ts': packageConfig,
    })
    const { first, second } = await twoSeeds(project)
    expect(first.stdout).toMatch(/^flakeseed seed 1183 · run 1 · 2 projects · 4 files shuffled · replay: npx flakeseed replay 1$/m)
    expectShuffledInsideFiles(first.log, second.log)
    expect(first.output).not.toMatch(/runs without flakeseed|Running tests with seed/)

    // The run is recorded, and replays in its exact order.
    const order = (run: string) =>
      project
        .cliJson<{ files: Array<{ project: string; file: string; tests: Array<{ name: string }> }> }>(['show', run])
        .files.flatMap((f) => f.tests.map((t) => `${f.project}:${f.file} > ${t.name}`))
    const replay = await project.runCli(['replay', '1'], { ORDER_LOG: join(project.dir, 'replay.log') })
    expect(replay.code, replay.output).toBe(0)
    expect(order('1')).toHaveLength(20)
    expect(order('last')).toEqual(order('1'))
  })

  test('config files, directories and inline projects (objects and functions) in one list', async () => {
    const project = createProject({
      ...packages(),
      'packages/c/test/x.test.ts': testFile('c/x', 1, 5),
      'vitest.config.ts': `${IMPORTS}export default defineConfig({
  plugins: [flakeseed({ db: false })],
  test: {
    projects: [
      'packages/a',
      'packages/b',
      async () => ({ test: { name: 'c', root: 'packages/c' } }),
    ],
  },
})
`,
      'packages/a/vitest.config.ts': packageConfig,
    })
    const result = await run(project, '8')
    expect(result.stdout).toMatch(/^flakeseed seed 8 · 3 projects · 5 files shuffled$/m)
    expect(result.log).toHaveLength(25)
    for (const pkg of ['a/', 'b/', 'c/']) expect(shuffledInside(result.log.filter((line) => line.startsWith(pkg))), pkg).toBe(true)
    expect(result.output).not.toMatch(/runs without flakeseed/)
  })

  test('a project whose own config lacks the plugin, when the root config lacks it too, is named', async () => {
    const project = createProject({
      ...packages(),
      'vitest.config.ts': `import { defineConfig } from 'vitest/config'\nexport default defineConfig({ test: { projects: ['packages/*'] } })\n`,
      'packages/a/vitest.config.ts': `${IMPORTS}export default defineConfig({ plugins: [flakeseed({ db: false })], test: { name: 'a' } })\n`,
      'packages/b/vitest.config.ts': `import { defineConfig } from 'vitest/config'\nexport default defineConfig({ test: { name: 'b' } })\n`,
    })
    const result = await run(project, '3')
    expect(result.stdout).toMatch(/^flakeseed seed 3 · 2 files shuffled$/m)
    const warnings = result.output.split('\n').filter((line) => line.includes('runs without flakeseed'))
    expect(warnings).toEqual([
      'flakeseed: project "b" (packages/b/vitest.config.ts) runs without flakeseed, its tests in declaration order: add flakeseed() to its plugins, or to those of vitest.config.ts to reach every project',
    ])
    // What flakeseed says: b's tests in declaration order, a's shuffled.
    const ofPackage = (pkg: string) => result.log.filter((line) => line.startsWith(pkg))
    expect(ofPackage('b/x')).toEqual([...ofPackage('b/x')].sort())
    expect(shuffledInside(ofPackage('a/'))).toBe(true)
  })
})

describe('config files and CLI flags', () => {
  const withPlugin = (test = '') => `${IMPORTS}export default defineConfig({ plugins: [flakeseed({ db: false })], test: { ${test} } })\n`

  test.each(['vitest.config.mts', 'vitest.config.js', 'vitest.config.mjs', 'vite.config.ts'])('%s', async (name) => {
    const project = createProject({ ...plain(), [name]: withPlugin(`include: ['test/**/*.test.ts']`) })
    const { first, second } = await twoSeeds(project, [], 11)
    expectShuffledInsideFiles(first.log, second.log)
  })

  test('mergeConfig of a base config', async () => {
    const project = createProject({
      ...plain(),
      'base.config.ts': `import { defineConfig } from 'vitest/config'\nexport default defineConfig({ test: { include: ['test/**/*.test.ts'] } })\n`,
      'vitest.config.ts': `${IMPORTS}import base from './base.config'\nexport default mergeConfig(base, defineConfig({ plugins: [flakeseed({ db: false })] }))\n`,
    })
    await twoSeeds(project, [], 11)
  })

  test('--config PATH, --root DIR and --dir', async () => {
    const project = createProject({
      'configs/ci.config.ts': withPlugin(`include: ['test/**/*.test.ts']`),
      'app/vitest.config.ts': withPlugin(),
      'app/only/z.test.ts': testFile('z', 1, 5),
      'app/other/w.test.ts': testFile('w', 1, 5),
      ...plain(),
    })
    await twoSeeds(project, ['--config', 'configs/ci.config.ts'], 11)
    await twoSeeds(project, ['--root', 'app'], 10)
    const { first } = await twoSeeds(project, ['--root', 'app', '--dir', 'app/only'], 5)
    expect(first.log.every((line) => line.startsWith('z '))).toBe(true)
  })

  test("the user's own sequence.sequencer: flakeseed wins and says so once", async () => {
    const project = createProject({
      ...packages(),
      'vitest.config.ts': `${IMPORTS}import { BaseSequencer } from 'vitest/node'
class AlphabeticalSequencer extends BaseSequencer {
  async sort(files) { return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId)) }
}
export default defineConfig({
  plugins: [flakeseed({ db: false })],
  test: {
    sequence: { sequencer: AlphabeticalSequencer },
    projects: [{ extends: true, test: { name: 'a', root: 'packages/a' } }, { test: { name: 'b', root: 'packages/b' } }],
  },
})
`,
    })
    const { first, second } = await twoSeeds(project)
    for (const result of [first, second]) {
      const lines = result.output.split('\n').filter((line) => line.includes('sequence.sequencer'))
      expect(lines).toEqual(["flakeseed: replacing sequence.sequencer (AlphabeticalSequencer) with flakeseed's seeded sequencer"])
    }
    // Alphabetical would put a/x, a/y, b/x, b/y: one of the seeds moves a file.
    const files = (log: string[]) => [...new Set(log.map((line) => line.split(' ')[0]))].join()
    expect([files(first.log), files(second.log)]).not.toEqual(['a/x,a/y,b/x,b/y', 'a/x,a/y,b/x,b/y'])
  })
})
