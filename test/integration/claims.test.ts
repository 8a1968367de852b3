// Every "verified" claim true (issue 20): a leak is verified only by a probe that undid it alone,
// a group undone together says so, and the fix named is the one a probe checked. Each case
// records a real failing run, bisects it, and where a fix is named applies it by hand to the
// fixture's test file and runs the failing order again: it must pass.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, test } from 'vitest'
import type { Finding as BisectFinding, Fix, Leak } from '../../src/core/model.js'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedWhere, textOf } from '../helpers/cli.js'
import { config, createProject, type Files, type Project } from '../helpers/project.js'
import { shopFile as leaksShopFile, QUIET, SHOP as FILE } from '../fixtures/leaks.mjs'

type Finding = Omit<BisectFinding, 'interrupted'> & { command: string; leaks: Leak[]; fix?: Fix; noLeak?: string }

const POLLUTER = testId('', FILE, 'shop > storefront in the euro zone')
const VICTIM = testId('', FILE, 'shop > prices in dollars by default')
const IDS = [POLLUTER, VICTIM, ...QUIET.map((t) => testId('', FILE, `shop > ${t}`))]
const IMPORTS = `import { afterEach, describe, expect, test, vi } from 'vitest'`

/** The polluter, two quiet tests and the victim in one describe, with `hooks` in it. */
function shopFile(pollute: string, check: string, { imports = IMPORTS, hooks = '', head = '' } = {}): string {
  return leaksShopFile(pollute, check, imports, { head, hooks })
}

/** The seed of the recorded failing run: the polluter before the victim. */
const FAILING = seedWhere(IDS, (o) => runsBefore(o, POLLUTER, VICTIM))

/**
 * Records one failing run, then bisects it: the JSON, and the text `bisect` prints from that
 * document (as cli/bisect.ts does). `{ cli: true }` bisects a second time without --json for the text.
 */
async function bisect(files: Files, { cli = false } = {}): Promise<{ project: Project; finding: Finding; text: string }> {
  const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...files })
  const run = await project.runVitest([], { FLAKESEED_SEED: FAILING })
  expect(run.code, run.output).toBe(1)
  const result = await project.runCli(['bisect', 'last', '--repeat', '1', '--json'])
  expect(result.code, result.output).toBe(1)
  const finding = JSON.parse(result.stdout) as Finding
  const text = cli ? (await project.runCli(['bisect', 'last', '--repeat', '1'])).stdout : textOf(finding)
  return { project, finding, text }
}

/** The failing order, rerun after the fix was applied by hand: 0 when the victim now passes. */
async function rerunFailingOrder(project: Project, files: Files): Promise<number | null> {
  project.write(files)
  const run = await project.runVitest([], { FLAKESEED_SEED: FAILING })
  return run.code
}

const ENVS = `process.env.A1 = '1'; process.env.A2 = '2'; process.env.A3 = '3'; process.env.A4 = '4'`

describe('verified means a probe undid exactly what the claim names', () => {
  test('five leaks, the victim reads one: only that one is verified, the fix names it and works when applied', async () => {
    // The error names nothing the leaks do: the env leaks rank first and are not the cause.
    const check = `if ((globalThis as any).flag !== undefined) throw new Error('wrong state')`
    const { project, finding, text } = await bisect({ [FILE]: shopFile(`${ENVS}; (globalThis as any).flag = 42`, check) }, { cli: true })
    expect(finding).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    // The other cases read the text from their JSON (textOf): here, what the CLI prints is that text.
    const seconds = (t: string) => t.replace(/\b\d+\.\d s\b/g, 'n.n s').trim()
    expect(seconds(text)).toBe(seconds(textOf(finding)))
    const flag = finding.leaks.find((l) => l.what === 'globalThis.flag')
    expect(flag).toMatchObject({ kind: 'global', before: '(absent)', after: '42', verified: true })
    expect(flag?.together).toBeUndefined()
    const others = finding.leaks.filter((l) => l.what !== 'globalThis.flag')
    expect(others.map((l) => l.what).sort()).toEqual(['process.env.A1', 'process.env.A2', 'process.env.A3', 'process.env.A4'])
    for (const l of others) expect(l).toMatchObject({ verified: false, ruledOut: 'cause-alone' })
    // The fix is the code \`flakeseed fix\` writes first, in its words.
    expect(finding.fix).toEqual({
      suggestion: "save globalThis.flag before each test and put it back after in describe 'shop' of test/shop.test.ts",
      verified: true,
      how: 'undo-rerun',
      remedy: 'restore-global',
    })
    // Halving keeps it logarithmic: the snapshot, the likeliest alone, all together, then ⌈log₂ 5⌉ + 1.
    expect(finding.diagnosisProbes).toBeLessThanOrEqual(7)
    // The text says the same, and says the env leaks were not needed.
    expect(text).toContain('leaked   global globalThis.flag: (absent) → 42   verified: the victim passes when it is restored')
    expect(text).toContain("also     env process.env.A1: (unset) → '1'   (also left behind, not needed: undoing the cause alone was enough)")
    // The DB keeps the same claims.
    const db = new Database(join(project.dir, '.flakeseed/history.db'), { readonly: true })
    const stored = db.prepare('SELECT leaks FROM findings ORDER BY id DESC LIMIT 1').get() as { leaks: string }
    db.close()
    const leaks = JSON.parse(stored.leaks) as Leak[]
    expect(leaks.filter((l) => l.verified).map((l) => l.what)).toEqual(['globalThis.flag'])
    // And the HTML report (which details tests with mixed outcomes: a passing order too).
    expect((await project.runVitest([], { FLAKESEED_SEED: seedWhere(IDS, (o) => runsBefore(o, VICTIM, POLLUTER)) })).code).toBe(0)
    expect((await project.runCli(['report', '--html', 'report.html'])).code).toBe(0)
    const html = project.read('report.html')
    expect(html).toContain('globalThis.flag: (absent) → 42</code> (verified: the victim passes when it is restored)')
    expect(html).toContain('process.env.A1: (unset) → &#39;1&#39;</code> (also left behind, not needed: undoing the cause alone was enough)')
    // The fix, applied as it reads: the failing order passes.
    const fixed = shopFile(`${ENVS}; (globalThis as any).flag = 42`, check, { hooks: '  afterEach(() => { delete (globalThis as any).flag })' })
    expect(await rerunFailingOrder(project, { [FILE]: fixed })).toBe(0)
  })

  test('a victim that needs two leaks undone: verified together, never each alone; the fix undoes both and works when applied', async () => {
    const check = `if (process.env.A2 || (globalThis as any).flag) throw new Error('wrong state')`
    const { project, finding, text } = await bisect({ [FILE]: shopFile(`${ENVS}; (globalThis as any).flag = 42`, check) })
    expect(finding.leaks.filter((l) => l.verified)).toEqual([])
    expect(finding.leaks.filter((l) => l.together).map((l) => l.what)).toEqual(['process.env.A2', 'globalThis.flag'])
    expect(finding.fix).toEqual({
      suggestion:
        "save process.env.A2 before each test and put it back after; save globalThis.flag before each test and put it back after in describe 'shop' of test/shop.test.ts",
      verified: true,
      how: 'undo-rerun',
      remedy: 'restore-env',
    })
    expect(text).toMatch(/^leaked {3}env process\.env\.A2: \(unset\) → '2' {3}verified together: one or more of these/m)
    const fixed = shopFile(`${ENVS}; (globalThis as any).flag = 42`, check, {
      hooks: '  afterEach(() => { delete (globalThis as any).flag; delete process.env.A2 })',
    })
    expect(await rerunFailingOrder(project, { [FILE]: fixed })).toBe(0)
  })
})

describe('top-level exports are state (item 4)', () => {
  test('an exported Map gaining an entry is verified by refilling it in place; the fix works when applied; an exported BigInt shows its n', async () => {
    const imports = `${IMPORTS}\nimport { bump, cache } from '../src/cache'`
    const files = {
      'src/cache.ts': `export const cache = new Map<string, number>()\nexport let counter = 10n\nexport const bump = () => { counter++ }\n`,
      [FILE]: shopFile(`cache.set('a', 1); bump()`, `if (cache.size) throw new Error('wrong state')`, { imports }),
    }
    const { project, finding } = await bisect(files)
    expect(finding.leaks.find((l) => l.verified)).toMatchObject({ kind: 'module', what: 'src/cache.ts: cache', before: 'a Map of 0', after: 'a Map of 1' })
    expect(finding.leaks.find((l) => l.what === 'src/cache.ts: counter')).toMatchObject({ before: '10n', after: '11n', verified: false })
    expect(finding.fix).toEqual({
      suggestion: "save cache of src/cache.ts before each test and put it back after in describe 'shop' of test/shop.test.ts",
      verified: true,
      how: 'undo-rerun',
      remedy: 'restore-export',
    })
    const fixed = shopFile(`cache.set('a', 1); bump()`, `if (cache.size) throw new Error('wrong state')`, {
      imports,
      hooks: '  afterEach(() => { cache.clear() })',
    })
    expect(await rerunFailingOrder(project, { [FILE]: fixed })).toBe(0)
  })
})

describe('real suites, in miniature (item 7)', () => {
  test("redux-toolkit: a module-level vi.fn()'s call count carries over; clearMocks: true, verified by a rerun with it", async () => {
    const check = 'onTick(); expect(onTick).toHaveBeenCalledTimes(1)'
    // Vitest 5 clears mocks before each test by default; a project that turns that off (Vitest 4's default) keeps the calls.
    const { finding, text } = await bisect({
      'vitest.config.ts': config('', 'fileParallelism: false, clearMocks: false'),
      [FILE]: shopFile('onTick()', check, { head: 'const onTick = vi.fn()' }),
    })
    expect(finding.leaks).toEqual([{ kind: 'mock', what: 'vi.fn() at test/shop.test.ts:2 calls', before: '0', after: '1', verified: true, by: POLLUTER }])
    expect(finding.fix).toEqual({
      suggestion: 'clearMocks: true in the Vitest config (or vi.clearAllMocks() in a beforeEach)',
      config: { clearMocks: true },
      verified: true,
      how: 'config-rerun',
      remedy: 'clearMocks-config',
    })
    expect(text).toContain('leaked   mock vi.fn() at test/shop.test.ts:2 calls: 0 → 1   verified: the victim passes when it is restored')
  })
})

describe('prototypes are state (item 7, zod)', () => {
  test("an own property added to an exported class's prototype: named, verified by deleting it; the fix works when applied", async () => {
    const imports = `${IMPORTS}\nimport { ZodMiniType } from '../src/klass'`
    const pollute = '(ZodMiniType.prototype as any)._mini = undefined'
    const check = `if ('_mini' in new ZodMiniType()) throw new Error('wrong state')`
    const files = { 'src/klass.ts': 'export class ZodMiniType {\n  parse(x: unknown) { return x }\n}\n', [FILE]: shopFile(pollute, check, { imports }) }
    const { project, finding } = await bisect(files)
    expect(finding.leaks).toEqual([
      { kind: 'module', what: 'src/klass.ts: ZodMiniType.prototype._mini', before: '(absent)', after: 'undefined', verified: true, by: POLLUTER },
    ])
    expect(finding.fix).toMatchObject({
      suggestion: "save ZodMiniType.prototype._mini of src/klass.ts before each test and put it back after in describe 'shop' of test/shop.test.ts",
      verified: true,
    })
    const fixed = shopFile(pollute, check, { imports, hooks: '  afterEach(() => { delete (ZodMiniType.prototype as any)._mini })' })
    expect(await rerunFailingOrder(project, { [FILE]: fixed })).toBe(0)
  })
})

describe('the modules compared are the ones the tests import first (zod compile mode)', () => {
  test('a setup file that loads 80 project modules does not push out the module the victim imports', async () => {
    const many = Array.from({ length: 80 }, (_, i) => `src/gen/m${i}.ts`)
    const imports = `${IMPORTS}\nimport { state } from '../src/state'`
    const files: Files = {
      'vitest.config.ts': config('', "fileParallelism: false, setupFiles: ['./test/setup.ts']"),
      'test/setup.ts': many.map((m, i) => `import '../${m.slice(0, -3)}' // ${i}`).join('\n'),
      ...Object.fromEntries(many.map((m, i) => [m, `export const value${i} = { n: ${i} }\n`])),
      'src/state.ts': 'export const state = { items: [] as number[] }\n',
      [FILE]: shopFile('state.items.push(1)', 'expect(state.items).toEqual([])', { imports }),
    }
    const project = createProject(files)
    expect((await project.runVitest([], { FLAKESEED_SEED: FAILING })).code).toBe(1)
    const result = await project.runCli(['bisect', 'last', '--repeat', '1', '--json'])
    const finding = JSON.parse(result.stdout) as Finding
    expect(finding.leaks).toContainEqual(expect.objectContaining({ what: 'src/state.ts: state.items', verified: true }))
  })
})

describe('modules the registry dropped are no state left behind (item 7, zustand)', () => {
  test("a file whose beforeEach calls vi.resetModules(): no 'combine → (absent)' lines, the describe-scoped variable is said to be invisible", async () => {
    const imports = `import { beforeEach, describe, expect, test, vi } from 'vitest'\nimport { combine } from '../src/middleware'`
    const files = {
      'src/middleware.ts': 'export const combine = (a: unknown) => a\nexport const devtools = (a: unknown) => a\n',
      // The shared variable lives in the describe: nothing outside the file can see it.
      [FILE]: shopFile('api = combine(1)', 'expect(api).toBeUndefined()', { imports, hooks: '  let api: unknown\n  beforeEach(() => { vi.resetModules() })' }),
    }
    const { finding, text } = await bisect(files)
    expect(finding).toMatchObject({ kind: 'victim', polluters: [POLLUTER] })
    // Nothing a snapshot sees; the describe's variable the polluter assigns, read from the source.
    expect(finding.leaks).toEqual([
      { kind: 'scope', what: "api of describe 'shop', assigned by 'storefront in the euro zone'", before: '', after: '', verified: false, by: POLLUTER },
    ])
    expect(finding.fix).toBeUndefined()
    expect(text).not.toContain('src/middleware.ts')
    expect(text).toContain("leaked   scope api of describe 'shop', assigned by 'storefront in the euro zone'   read from the test file, not checked by a probe")
  })

  test("a brittle test that reads a describe's let only another test assigns: named from the file's source", async () => {
    const file = 'tests/devtools.test.ts'
    const setter = testId('', file, 'with redux middleware > works as expected')
    const brittle = testId('', file, 'with redux middleware > can jump to an action')
    const other = testId('', file, 'with redux middleware > keeps its name')
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      'src/middleware.ts': 'export const combine = (a: unknown) => ({ state: a })\n',
      [file]: [
        `import { beforeEach, describe, expect, test, vi } from 'vitest'`,
        `import { combine } from '../src/middleware'`,
        `describe('with redux middleware', () => {`,
        `  let api: { state: unknown } | undefined`,
        `  beforeEach(() => { vi.resetModules() })`,
        `  test('works as expected', () => { api = combine(1); expect(api.state).toBe(1) })`,
        `  test('keeps its name', () => { expect(combine(2).state).toBe(2) })`,
        `  test('can jump to an action', () => { expect(api?.state).toBe(1) })`,
        `})`,
        '',
      ].join('\n'),
    })
    const ids = [setter, brittle, other]
    expect((await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, setter, brittle)) })).code).toBe(0)
    expect((await project.runVitest([], { FLAKESEED_SEED: seedWhere(ids, (o) => runsBefore(o, brittle, setter)) })).code).toBe(1)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', '--repeat', '1'])
    expect(finding).toMatchObject({ kind: 'brittle', stateSetters: [setter] })
    expect(finding.leaks.filter((l) => l.what.startsWith('src/middleware.ts'))).toEqual([])
    expect(finding.leaks.find((l) => l.kind === 'scope')).toMatchObject({
      what: "api of describe 'with redux middleware', assigned by 'works as expected'",
      verified: false,
    })
    expect(textOf(finding)).toContain("needs    scope api of describe 'with redux middleware', assigned by 'works as expected'")
  })
})

describe('a cleaner says what it runs; an unrelated leak says it is not the cause (item 7, redux-toolkit)', () => {
  test("the fix quotes the cleaner's statements and works when applied; the env leak beside it is not the cause", async () => {
    const imports = `${IMPORTS}\nimport { next, reset } from '../src/counter'`
    const cleaner = testId('', FILE, 'shop > resets the counter')
    const file = (hooks = '') =>
      [
        imports,
        `describe('shop', () => {`,
        hooks,
        `  test('storefront in the euro zone', () => { process.env.SHOP_BANNER = '{}'; next() })`,
        ...QUIET.map((t) => `  test('${t}', () => {})`),
        `  test('prices in dollars by default', () => { expect(next()).toBe(1) })`,
        `  test('resets the counter', () => {\n    reset()\n    expect(next()).toBe(1)\n    reset()\n  })`,
        `})`,
        '',
      ].join('\n')
    const files = { 'src/counter.ts': 'let count = 0\nexport const next = () => ++count\nexport const reset = () => { count = 0 }\n', [FILE]: file() }
    const project = createProject({ 'vitest.config.ts': config('', 'fileParallelism: false'), ...files })
    const seed = seedWhere([...IDS, cleaner], (o) => runsBefore(o, POLLUTER, VICTIM) && runsBefore(o, VICTIM, cleaner))
    expect((await project.runVitest([], { FLAKESEED_SEED: seed })).code).toBe(1)
    const finding = await project.runCliJson<Finding>(['bisect', 'last', '--repeat', '1'])
    expect(finding.leaks).toEqual([
      { kind: 'env', what: 'process.env.SHOP_BANNER', before: '(unset)', after: "'{}'", verified: false, ruledOut: 'no-change', by: POLLUTER },
    ])
    expect(finding.cleaners).toEqual([cleaner])
    expect(finding.fix).toEqual({
      suggestion:
        "running 'resets the counter' between them makes it pass; it runs `reset()`; `reset()`: run that in an afterEach of 'storefront in the euro zone'",
      verified: true,
      how: 'cleaner',
    })
    expect(textOf(finding)).toContain(
      "also     env process.env.SHOP_BANNER: (unset) → '{}'   (also left behind, not the cause: undoing every leak together changed nothing)",
    )
    project.write({ [FILE]: file('  afterEach(() => { reset() })') })
    expect((await project.runVitest([], { FLAKESEED_SEED: seed })).code).toBe(0)
  })
})
