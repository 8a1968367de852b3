// `flakeseed fix` for a brittle test whose setter sets the state up by a call (yup's
// `setLocale(dict)`, which writes into an exported object): the brittle test repeats the call
// itself and puts the state back after, and the setter's change is restored after the setter, as
// one patch verified with both failures (by `fix --all` too); a call that closes over a test-local
// variable gets none.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { testId } from '../../src/core/names.js'
import { diffLines } from '../../src/fix/diff.js'
import { runsBefore, seedsWhere } from '../helpers/cli.js'
import { treeHash } from '../helpers/files.js'
import { config, createProject, type Project } from '../helpers/project.js'
import { LOCALE, localeTest, SETTER_BODY } from '../fixtures/leaks.mjs'

const FILE = 'test/locale.test.ts'
const ids = ['greets in english by default', 'sets a new locale', 'greets in the new locale'].map((n) => testId('', FILE, `locale > ${n}`))
const [DEFAULT, SETTER, BRITTLE] = ids as [string, string, string]

interface FixJson {
  patches: Array<{
    victim: string
    polluters: string[]
    stateSetters: string[]
    files: string[]
    diff: string
    verified: string
    checks: Record<string, unknown>
  }>
  unpatched: Array<{ victim: string; why: string }>
}

/** A recorded run where the brittle test ran before its setter and the setter before the english default: both fail. */
async function failingRun(setterBody: readonly string[], extra: Record<string, string> = {}): Promise<{ project: Project; seeds: string[] }> {
  const project = createProject({
    'vitest.config.ts': config('', 'fileParallelism: false'),
    'src/locale.js': LOCALE,
    [FILE]: localeTest(setterBody),
    ...extra,
  })
  const seeds = seedsWhere(ids, (o) => runsBefore(o, BRITTLE, SETTER) && runsBefore(o, SETTER, DEFAULT), 1)
  const others = seedsWhere(ids, () => true, 11)
    .filter((s) => s !== seeds[0])
    .slice(0, 10)
  const run = await project.runVitest([], { FLAKESEED_SEED: seeds[0]! })
  expect(run.code, run.output).toBe(1)
  return { project, seeds: [seeds[0]!, ...others] }
}

describe('fix: a brittle test whose setter calls setLocale', () => {
  test('a two-part patch (the call repeated in the brittle test, the change restored after the setter), verified with both failures, applied: 11 seeds pass', async () => {
    const { project, seeds } = await failingRun(SETTER_BODY)
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--json'])
    expect(result.code, result.output).toBe(0)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.unpatched).toEqual([])
    expect(json.patches.map((p) => p.victim).sort()).toEqual([BRITTLE, DEFAULT].sort())
    // One patch for both: the brittle test's, which the setter's victim takes.
    const [patch, other] = json.patches
    expect(other!.diff).toBe(patch!.diff)
    expect(patch!.files).toEqual([FILE])
    for (const p of json.patches) {
      expect(p.checks).toMatchObject({ failsWithout: true, passesWith: true, seeds: 11 })
      expect(p.verified).toMatch(/^the failing orders of run \d+ of the 2 victims it fixes fail without it and pass with it; together 1 file × 11 seeds pass$/)
    }
    expect(json.patches.find((p) => p.victim === DEFAULT)!.polluters).toEqual([SETTER])
    expect(json.patches.find((p) => p.victim === BRITTLE)!.stateSetters).toEqual([SETTER])
    expect(treeHash(project)).toBe(before)

    // Both parts, and nothing else in the file moved: only the vitest import line is rewritten.
    const text = localeTest(SETTER_BODY)
    const path = join(project.dir, '..', `${Date.now()}.diff`)
    writeFileSync(path, patch!.diff)
    execFileSync('git', ['apply', '--check', path], { cwd: project.dir, stdio: 'pipe' })
    const applied = await project.runCli(['fix', 'last', '--apply'])
    expect(applied.code, applied.output).toBe(0)
    expect(applied.stdout.trim()).toBe(`wrote ${FILE}`)
    const after = project.read(FILE)
    const ops = diffLines(text.split(/(?<=\n)/), after.split(/(?<=\n)/))
    expect(ops.filter((o) => o.op === '-').map((o) => o.line)).toEqual(["import { describe, expect, test } from 'vitest'\n"])
    expect(after).toContain("import { beforeEach, describe, expect, onTestFinished, test } from 'vitest'\n")
    // (b) the setter's change put back after each test of its describe.
    expect(after).toContain(
      [
        "describe('locale', () => {",
        '  beforeEach(() => {',
        "    const saved = Object.getOwnPropertyDescriptor(messages, 'greeting')",
        '    return () => {',
        "      if (saved) Object.defineProperty(messages, 'greeting', saved)",
        "      else Reflect.deleteProperty(messages, 'greeting')",
        '    }',
        '  })',
        '',
        "  test('greets in english by default', () => {",
      ].join('\n'),
    )
    // (a) the brittle test sets its locale up itself, and puts it back after.
    expect(after).toContain(
      [
        "  test('greets in the new locale', () => {",
        "    const saved = Object.getOwnPropertyDescriptor(messages, 'greeting')",
        '    onTestFinished(() => {',
        "      if (saved) Object.defineProperty(messages, 'greeting', saved)",
        "      else Reflect.deleteProperty(messages, 'greeting')",
        '    })',
        "    const german = { greeting: 'Hallo' }",
        '    setLocale(german)',
        '',
        "    expect(messages.greeting).toBe('Hallo')",
      ].join('\n'),
    )
    for (const seed of seeds) {
      const run = await project.runVitest([], { FLAKESEED_SEED: seed })
      expect(run.code, `seed ${seed}: ${run.output}`).toBe(0)
    }
  }, 300_000)

  test('fix --all: the brittle test and its setter’s victim get the one two-part patch, verified together, as plain fix gives it', async () => {
    // Two more tests elsewhere: flaky leaves out runs where most tests failed (2 of 3 here otherwise).
    const other = { 'test/other.test.ts': "import { test } from 'vitest'\ntest('one', () => {})\ntest('two', () => {})\n" }
    const { project } = await failingRun(SETTER_BODY, other)
    // A passing order too (english default, setter, brittle): both failures are flaky in the history.
    const passing = seedsWhere(ids, (o) => runsBefore(o, DEFAULT, SETTER) && runsBefore(o, SETTER, BRITTLE), 1)[0]!
    expect((await project.runVitest([], { FLAKESEED_SEED: passing })).code).toBe(0)
    const before = treeHash(project)
    const result = await project.runCli(['fix', '--all', '--json', '--seeds', '2'])
    expect(result.code, result.output).toBe(0)
    const json = JSON.parse(result.stdout) as { patches: Array<{ victims: string[]; diff: string }>; unpatched: unknown[]; combined?: { verified: string } }
    expect(json.unpatched).toEqual([])
    expect(json.patches.map((p) => [...p.victims].sort())).toEqual([[BRITTLE, DEFAULT].sort()])
    expect(json.combined?.verified).toMatch(/^the failing orders of 2 victims \(run 1\) fail without it and pass with it; 1 file × 3 seeds pass$/)
    // The same patch plain fix verifies for that run.
    const plain = await project.runCliJson<FixJson>(['fix', '1', '--seeds', '2'])
    expect(json.patches[0]!.diff).toBe(plain.patches[0]!.diff)
    expect(treeHash(project)).toBe(before)
  }, 300_000)

  test('a setter call that closes over a test-local variable: no patch for the brittle test, and why', async () => {
    const { project } = await failingRun(["let greeting = ''", "for (const part of ['Hal', 'lo']) greeting += part", 'setLocale({ greeting })'])
    const before = treeHash(project)
    const result = await project.runCli(['fix', 'last', '--json'])
    expect(result.code, result.output).toBe(1)
    const json = JSON.parse(result.stdout) as FixJson
    expect(json.patches.map((p) => p.victim)).not.toContain(BRITTLE)
    expect(json.unpatched.find((u) => u.victim === BRITTLE)?.why).toContain(
      "'sets a new locale' uses greeting on line 11 before its call, so the call cannot be repeated alone",
    )
    expect(treeHash(project)).toBe(before)
  }, 300_000)
})
