// The patch writer on source strings: every remedy, the file's own style kept (indentation, quotes,
// semicolons, CRLF), `globals: true` without imports, the config shapes, and the diff taken by a
// real `git apply --check`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Finding, Leak } from '../../src/core/model.js'
import { diffLines } from '../../src/fix/diff.js'
import { firstCodeRemedy } from '../../src/fix/plan.js'
import type { Statement } from '@babel/types'
import { declaredNames, identifiersOf, nodeLines, parseSource, walk } from '../../src/fix/source.js'
import { type FileEdit, type PatchInput, type PatchPlan, planPatches, type Remedy, unifiedDiff } from '../../src/fix/types.js'

const ROOT = '/project'
const POLLUTER = 'test/shop.test.ts > storefront in the euro zone > shows euros'
const VICTIM = 'test/shop.test.ts > money > prices default to dollars'

function finding(leaks: Array<Partial<Leak> & Pick<Leak, 'kind' | 'what'>>, extra: Partial<Finding> = {}): Finding {
  return {
    victim: VICTIM,
    kind: 'victim',
    polluters: [POLLUTER],
    stateSetters: [],
    cleaners: [],
    probes: 5,
    leaks: leaks.map((l) => ({ before: '(unset)', after: "'EUR'", verified: true, by: POLLUTER, ...l })),
    ...extra,
  }
}

async function plan(files: Record<string, string>, f: Finding, options: Partial<PatchInput> = {}): Promise<PatchPlan> {
  return planPatches({ root: ROOT, finding: f, read: (path) => files[path.slice(ROOT.length + 1)], ...options })
}

async function remedies(files: Record<string, string>, f: Finding, options: Partial<PatchInput> = {}): Promise<Remedy[]> {
  const result = await plan(files, f, options)
  if ('none' in result) throw new Error(`no patch: ${result.none}`)
  return result.remedies
}

/** The lines an edit added; and that it removed none but those it rewrote in place (imports). */
function added(edit: FileEdit): string[] {
  const ops = diffLines(edit.before.split(/(?<=\n)/), edit.after.split(/(?<=\n)/))
  return ops.filter((o) => o.op === '+').map((o) => o.line)
}
function removed(edit: FileEdit): string[] {
  const ops = diffLines(edit.before.split(/(?<=\n)/), edit.after.split(/(?<=\n)/))
  return ops.filter((o) => o.op === '-').map((o) => o.line)
}

const SHOP_TS = [
  "import { describe, expect, test } from 'vitest'",
  '',
  "describe('storefront in the euro zone', () => {",
  "  test('shows euros', () => {",
  "    process.env.SHOP_CURRENCY = 'EUR'",
  '    expect(1).toBe(1)',
  '  })',
  '})',
  '',
  "describe('money', () => {",
  "  test('prices default to dollars', () => {",
  '    expect(process.env.SHOP_CURRENCY).toBeUndefined()',
  '  })',
  '})',
  '',
].join('\n')

describe('hooks in the polluter’s describe', () => {
  test('an env var set directly: saved before each test of its describe, restored (or deleted) after; beforeEach imported', async () => {
    const [remedy, ...rest] = await remedies({ 'test/shop.test.ts': SHOP_TS }, finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY' }]))
    expect(rest).toEqual([])
    expect(remedy!.kind).toBe('restore-env')
    expect(remedy!.summary).toContain("describe 'storefront in the euro zone' of test/shop.test.ts")
    expect(remedy!.edits).toHaveLength(1)
    const edit = remedy!.edits[0]!
    expect(edit.path).toBe('test/shop.test.ts')
    expect(edit.before).toBe(SHOP_TS)
    expect(edit.after).toBe(
      [
        "import { beforeEach, describe, expect, test } from 'vitest'",
        '',
        "describe('storefront in the euro zone', () => {",
        '  beforeEach(() => {',
        '    const saved = process.env.SHOP_CURRENCY',
        '    return () => {',
        '      if (saved === undefined) delete process.env.SHOP_CURRENCY',
        '      else process.env.SHOP_CURRENCY = saved',
        '    }',
        '  })',
        '',
        "  test('shows euros', () => {",
        ...SHOP_TS.split('\n').slice(4),
      ].join('\n'),
    )
  })

  test('a JS file with 4-space indentation, semicolons, double quotes and function callbacks gets code in that style', async () => {
    const code = [
      'import { describe, it, expect } from "vitest";',
      '',
      'describe("storefront in the euro zone", function () {',
      '    it("shows euros", function () {',
      '        globalThis.currency = "EUR";',
      '        expect(1).toBe(1);',
      '    });',
      '});',
      '',
    ].join('\n')
    const id = 'test/shop.test.js > storefront in the euro zone > shows euros'
    const [remedy] = await remedies(
      { 'test/shop.test.js': code },
      finding([{ kind: 'global', what: 'globalThis.currency', before: '(absent)', by: id }], { polluters: [id], victim: 'test/shop.test.js > x' }),
    )
    const edit = remedy!.edits[0]!
    expect(edit.after.split('\n')[0]).toBe('import { describe, it, expect, beforeEach } from "vitest";')
    expect(added(edit).join('')).toBe(
      [
        'import { describe, it, expect, beforeEach } from "vitest";',
        '    beforeEach(function () {',
        '        const saved = Object.getOwnPropertyDescriptor(globalThis, "currency");',
        '        return function () {',
        '            if (saved) Object.defineProperty(globalThis, "currency", saved);',
        '            else Reflect.deleteProperty(globalThis, "currency");',
        '        };',
        '    });',
        '',
        '',
      ].join('\n'),
    )
    expect(removed(edit)).toEqual(['import { describe, it, expect } from "vitest";\n'])
  })

  test('tabs stay tabs; CRLF stays CRLF on every line', async () => {
    const code = `${SHOP_TS.replace(/^( +)/gm, (s) => '\t'.repeat(s.length / 2)).replace(/\n/g, '\r\n')}`
    const [remedy] = await remedies({ 'test/shop.test.ts': code }, finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY' }]))
    const after = remedy!.edits[0]!.after
    expect(after.replace(/\r\n/g, '')).not.toContain('\n')
    expect(after).toContain('\tbeforeEach(() => {\r\n\t\tconst saved = process.env.SHOP_CURRENCY\r\n\t\treturn () => {\r\n\t\t\tif (saved === undefined)')
    expect(removed(remedy!.edits[0]!)).toEqual(["import { describe, expect, test } from 'vitest'\r\n"])
  })

  test('globals: true (no import from vitest): the hook uses the globals and adds no import', async () => {
    const code = SHOP_TS.split('\n').slice(2).join('\n')
    const [remedy] = await remedies(
      { 'test/shop.test.ts': code },
      finding([{ kind: 'timers', what: 'fake timers', before: 'real timers', after: 'installed' }]),
    )
    expect(remedy!.kind).toBe('real-timers')
    const edit = remedy!.edits[0]!
    expect(removed(edit)).toEqual([])
    expect(added(edit).join('')).toBe('  afterEach(() => {\n    vi.useRealTimers()\n  })\n\n')
  })

  test('a name the file imports under another local name is used as the file names it', async () => {
    const code = SHOP_TS.replace(
      "import { describe, expect, test } from 'vitest'",
      "import { afterEach as after, describe, expect, test, vi as v } from 'vitest'",
    )
    const [remedy] = await remedies({ 'test/shop.test.ts': code }, finding([{ kind: 'timers', what: 'fake timers' }]))
    expect(removed(remedy!.edits[0]!)).toEqual([])
    expect(added(remedy!.edits[0]!).join('')).toBe('  after(() => {\n    v.useRealTimers()\n  })\n\n')
  })

  test('the summary names each vi call as the file writes it: vitest.…() for `import { vitest }`, v.…() for `vi as v`', async () => {
    const cases = [
      ["import { describe, expect, test, vitest } from 'vitest'", 'vitest'],
      ["import { describe, expect, test, vi as v } from 'vitest'", 'v'],
      ["import { describe, expect, test } from 'vitest'", 'vi'],
    ] as const
    const none = { stubbedEnv: [], stubbedGlobal: [] }
    const leaks: Array<[Pick<Leak, 'kind' | 'what'> & Partial<Leak>, PatchInput['origin']]> = [
      [{ kind: 'timers', what: 'fake timers' }, undefined],
      [{ kind: 'mock', what: "vi.fn() 'send' at src/mail.ts:3 calls", before: '0', after: '2' }, undefined],
      [{ kind: 'mock', what: 'console.error', before: 'native', after: 'a spy' }, undefined],
      [
        { kind: 'env', what: 'process.env.SHOP_CURRENCY' },
        { ...none, stubbedEnv: ['SHOP_CURRENCY'] },
      ],
      [
        { kind: 'global', what: 'globalThis.fetch' },
        { ...none, stubbedGlobal: ['fetch'] },
      ],
    ]
    for (const [line, vi] of cases)
      for (const [leak, origin] of leaks) {
        const code = SHOP_TS.replace("import { describe, expect, test } from 'vitest'", line)
        const list = await remedies({ 'test/shop.test.ts': code }, finding([leak]), origin ? { origin } : {})
        const hook = list.find((r) => r.kind.endsWith('-hook') || r.kind === 'real-timers')!
        // The call the patch writes, as the file has it; the summary must say that same call.
        const written = /^\s+(\w+\.\w+\(\));?$/m.exec(added(hook.edits[0]!).join(''))![1]!
        expect(written.startsWith(`${vi}.`)).toBe(true)
        expect(hook.summary).toBe(`${written} after each test in describe 'storefront in the euro zone' of test/shop.test.ts`)
      }
  })

  test('a top-level polluter gets the hook at the top level, after the imports, before the first test', async () => {
    const code = [
      "import { test } from 'vitest'",
      "import { cart } from '../src/cart'",
      '',
      "test('adds a book', () => {",
      "  cart.push('book')",
      '})',
      '',
    ].join('\n')
    const id = 'test/cart.test.ts > adds a book'
    const [remedy] = await remedies(
      { 'test/cart.test.ts': code },
      finding([{ kind: 'module', what: 'src/cart.ts: cart', before: '[]', after: '["book"]', by: id }], {
        polluters: [id],
        victim: 'test/cart.test.ts > a new cart is empty',
      }),
    )
    expect(remedy!.kind).toBe('restore-export')
    expect(remedy!.edits[0]!.after).toBe(
      [
        "import { beforeEach, test } from 'vitest'",
        "import { cart } from '../src/cart'",
        '',
        'beforeEach(() => {',
        '  const saved = [...cart]',
        '  return () => {',
        '    cart.splice(0, cart.length, ...saved)',
        '  }',
        '})',
        '',
        "test('adds a book', () => {",
        "  cart.push('book')",
        '})',
        '',
      ].join('\n'),
    )
  })

  test("an exported object's property: restored as it was, deleted when absent; the module imported when the file does not", async () => {
    const [remedy] = await remedies(
      { 'test/shop.test.ts': SHOP_TS },
      finding([
        { kind: 'module', what: 'src/settings.ts: settings.locale', before: "'en'", after: "'de'" },
        { kind: 'module', what: 'src/registry.ts: handlers', before: 'a Map of 2', after: 'a Map of 3' },
      ]),
    )
    const after = remedy!.edits[0]!.after
    expect(after).toContain("import { settings } from '../src/settings'\n")
    expect(after).toContain("import { handlers } from '../src/registry'\n")
    expect(after).toContain("Object.getOwnPropertyDescriptor(settings, 'locale')")
    expect(after).toContain("else Reflect.deleteProperty(settings, 'locale')")
    expect(after).toContain(
      'const saved = new Map(handlers)\n    return () => {\n      handlers.clear()\n      for (const [key, value] of saved) handlers.set(key, value)',
    )
  })

  test("a prototype's property put back or deleted (never set to undefined)", async () => {
    const code = SHOP_TS.replace("from 'vitest'\n", "from 'vitest'\nimport { Money } from '../src/money.js'\n")
    const [remedy] = await remedies(
      { 'test/shop.test.ts': code },
      finding([{ kind: 'module', what: 'src/money.ts: Money.prototype.format', before: '(absent)', after: 'a function' }]),
    )
    expect(remedy!.kind).toBe('restore-prototype')
    expect(remedy!.edits[0]!.after).toContain(
      "if (saved) Object.defineProperty(Money.prototype, 'format', saved)\n      else Reflect.deleteProperty(Money.prototype, 'format')",
    )
  })

  test('an exported let (a binding only its module can assign) gets no patch, and says why', async () => {
    const result = await plan({ 'test/shop.test.ts': SHOP_TS }, finding([{ kind: 'module', what: 'src/state.ts: count', before: '0', after: '1' }]))
    expect(result).toEqual({ none: expect.stringContaining('an exported let') })
  })

  test('a file the polluter left: removed after each test, rmSync imported from node:fs', async () => {
    const [remedy] = await remedies({ 'test/shop.test.ts': SHOP_TS }, finding([{ kind: 'file', what: 'tmp/out.json', before: '(absent)', after: '12 B' }]))
    expect(remedy!.kind).toBe('remove-file')
    const after = remedy!.edits[0]!.after
    expect(after).toContain("import { rmSync } from 'node:fs'\n")
    expect(after).toContain("  afterEach(() => {\n    rmSync(new URL('../tmp/out.json', import.meta.url), { force: true })\n  })")
  })

  test('the working folder, process.exitCode and listeners, Web Storage and a changed file: saved and put back', async () => {
    const code = async (leak: Partial<Leak> & Pick<Leak, 'kind' | 'what'>) => {
      const [remedy] = await remedies({ 'test/shop.test.ts': SHOP_TS }, finding([leak]))
      return added(remedy!.edits[0]!).slice(1).join('')
    }
    expect(await code({ kind: 'process', what: 'process.cwd()', before: "'/p'" })).toContain(
      'const saved = process.cwd()\n    return () => {\n      process.chdir(saved)\n',
    )
    expect(await code({ kind: 'process', what: 'process.exitCode', before: 'undefined' })).toContain('      process.exitCode = saved\n')
    expect(await code({ kind: 'process', what: "process 'exit' listeners", before: '1' })).toContain(
      "const saved = process.listeners('exit')\n    return () => {\n      for (const listener of process.listeners('exit')) if (!saved.includes(listener)) process.removeListener('exit', listener)\n",
    )
    expect(await code({ kind: 'dom', what: "localStorage['cart']", before: "'[]'" })).toContain(
      "const saved = localStorage.getItem('cart')\n    return () => {\n      if (saved === null) localStorage.removeItem('cart')\n      else localStorage.setItem('cart', saved)\n",
    )
    expect(await code({ kind: 'file', what: 'data/db.json', before: '12 B' })).toContain(
      "const saved = readFileSync(new URL('../data/db.json', import.meta.url))\n    return () => {\n      writeFileSync(new URL('../data/db.json', import.meta.url), saved)\n",
    )
    expect(await plan({ 'test/shop.test.ts': SHOP_TS }, finding([{ kind: 'dom', what: "localStorage['(hidden)']" }]))).toHaveProperty('none')
  })

  test("a describe's hooks as the cause: beforeAll at the top of that describe, restored after all its tests", async () => {
    const describeId = 'test/shop.test.ts > storefront in the euro zone'
    const [remedy] = await remedies({ 'test/shop.test.ts': SHOP_TS }, finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY' }], { describe: describeId }))
    expect(added(remedy!.edits[0]!).join('')).toContain('  beforeAll(() => {\n    const saved = process.env.SHOP_CURRENCY\n')
    expect(remedy!.summary).toContain("the describe's tests")
  })

  test('a multi-line import gets the name on its own line, sorted in; an alias import of the module is used, not a second import', async () => {
    const code = SHOP_TS.replace(
      "import { describe, expect, test } from 'vitest'",
      "import {\n  describe,\n  expect,\n  test,\n} from 'vitest'\nimport { settings } from '@/settings'",
    )
    const [remedy] = await remedies({ 'test/shop.test.ts': code }, finding([{ kind: 'module', what: 'src/settings.ts: settings.locale', before: "'en'" }]))
    const after = remedy!.edits[0]!.after
    expect(after.startsWith("import {\n  beforeEach,\n  describe,\n  expect,\n  test,\n} from 'vitest'\nimport { settings } from '@/settings'\n\n")).toBe(true)
    expect(after.match(/import/g)).toHaveLength(2)
  })

  test('without semicolons, a hook before a line starting with ( or [ ends with one, so the next line does not continue it', async () => {
    const code = SHOP_TS.replace("  test('shows euros'", "  ;[1, 2].forEach(() => {})\n  test('shows euros'")
    const [remedy] = await remedies({ 'test/shop.test.ts': code }, finding([{ kind: 'timers', what: 'fake timers' }]))
    expect(added(remedy!.edits[0]!).slice(1).join('')).toBe('  afterEach(() => {\n    vi.useRealTimers()\n  })\n\n')
    const bare = SHOP_TS.replace("  test('shows euros'", "  ;(() => {})()\n  test('shows euros'").replace('  ;(', '  (')
    const [hazard] = await remedies({ 'test/shop.test.ts': bare }, finding([{ kind: 'timers', what: 'fake timers' }]))
    expect(added(hazard!.edits[0]!).slice(1).join('')).toBe('  afterEach(() => {\n    vi.useRealTimers()\n  });\n\n')
  })

  test('a test made by test.each (no literal title) is placed by its describe chain', async () => {
    const code = SHOP_TS.replace("  test('shows euros', () => {", "  test.each(['EUR', 'CHF'])('shows %s', (currency) => {").replace("= 'EUR'", '= currency')
    const id = 'test/shop.test.ts > storefront in the euro zone > shows CHF'
    const [remedy] = await remedies({ 'test/shop.test.ts': code }, finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY', by: id }], { polluters: [id] }))
    expect(remedy!.edits[0]!.after).toContain(
      "describe('storefront in the euro zone', () => {\n  beforeEach(() => {\n    const saved = process.env.SHOP_CURRENCY\n",
    )
  })

  test('JSX and TSX files parse, and the hook lands by position', async () => {
    const code = [
      "import { describe, test } from 'vitest'",
      "import { render } from '@testing-library/react'",
      '',
      "describe('storefront in the euro zone', () => {",
      "  test('shows euros', () => {",
      '    render(<Price<number> value={1} />)',
      '  })',
      '})',
      '',
    ].join('\n')
    const id = 'test/shop.test.tsx > storefront in the euro zone > shows euros'
    const [remedy] = await remedies(
      { 'test/shop.test.tsx': code },
      finding([{ kind: 'dom', what: 'document.body', before: 'empty', after: '<div>1</div>', by: id }], { polluters: [id], victim: 'test/shop.test.tsx > x' }),
    )
    expect(added(remedy!.edits[0]!).join('')).toContain('const saved = document.body.innerHTML')
  })
})

describe('config switches where Vitest has one', () => {
  const CONFIG = ["import { defineConfig } from 'vitest/config'", '', 'export default defineConfig({', '  plugins: [],', '})', ''].join('\n')
  const spy = [{ kind: 'mock' as const, what: 'console.error', before: 'function error', after: 'a vi.fn() mock' }]

  test('a spy left on: restoreMocks in the config first (a test block added), then vi.restoreAllMocks(), then the property restored', async () => {
    const list = await remedies({ 'test/shop.test.ts': SHOP_TS, 'vitest.config.ts': CONFIG }, finding(spy), { configFile: 'vitest.config.ts' })
    expect(list.map((r) => r.kind)).toEqual(['restoreMocks-config', 'restoreAllMocks-hook', 'restore-global'])
    expect(list[0]!.edits).toEqual([
      { path: 'vitest.config.ts', before: CONFIG, after: CONFIG.replace('  plugins', '  test: { restoreMocks: true },\n  plugins') },
    ])
    expect(added(list[1]!.edits[0]!).slice(1).join('')).toBe('  afterEach(() => {\n    vi.restoreAllMocks()\n  })\n\n')
    expect(list[1]!.edits[0]!.after.split('\n')[0]).toBe("import { afterEach, describe, expect, test, vi } from 'vitest'")
  })

  test('without a config file the config remedy is left out, the others remain', async () => {
    const list = await remedies({ 'test/shop.test.ts': SHOP_TS }, finding(spy))
    expect(list.map((r) => r.kind)).toEqual(['restoreAllMocks-hook', 'restore-global'])
  })

  test('vi.stubEnv / vi.stubGlobal: unstubEnvs / unstubGlobals in an existing one-line test block', async () => {
    const config = CONFIG.replace('  plugins: [],', '  test: { globals: true },')
    const list = await remedies(
      { 'test/shop.test.ts': SHOP_TS, 'vitest.config.ts': config },
      finding([
        { kind: 'env', what: 'process.env.SHOP_CURRENCY' },
        { kind: 'global', what: 'globalThis.fetch', before: 'function fetch' },
      ]),
      { configFile: 'vitest.config.ts', origin: { stubbedEnv: ['SHOP_CURRENCY'], stubbedGlobal: ['fetch'] } },
    )
    expect(list.map((r) => r.kind)).toEqual(['unstubEnvs-config', 'unstubAllEnvs-hook', 'restore-env'])
    expect(list[0]!.edits[0]!.after).toContain('test: { unstubEnvs: true, unstubGlobals: true, globals: true },')
    expect(added(list[1]!.edits[0]!).join('')).toContain('vi.unstubAllEnvs()')
    expect(added(list[1]!.edits[0]!).join('')).toContain('vi.unstubAllGlobals()')
  })

  test("a mock's call history: clearMocks, else vi.clearAllMocks(); a switch set to false is turned to true in place", async () => {
    const config = CONFIG.replace('  plugins: [],', '  test: {\n    clearMocks: false,\n  },')
    const list = await remedies(
      { 'test/shop.test.ts': SHOP_TS, 'vitest.config.ts': config },
      finding([{ kind: 'mock', what: "vi.fn() 'send' at src/mail.ts:3 calls", before: '0', after: '2' }]),
      { configFile: 'vitest.config.ts' },
    )
    expect(list.map((r) => r.kind)).toEqual(['clearMocks-config', 'clearAllMocks-hook'])
    expect(list[0]!.edits[0]!.after).toBe(config.replace('clearMocks: false', 'clearMocks: true'))
  })

  test("a projects config: the victim's project's test block, by name", async () => {
    const config = [
      "import { defineConfig } from 'vitest/config'",
      'export default defineConfig({',
      '  test: {',
      '    projects: [',
      "      { extends: true, test: { name: 'node', include: ['a/**'] } },",
      '      {',
      '        extends: true,',
      '        test: {',
      "          name: 'shop',",
      "          include: ['test/**'],",
      '        },',
      '      },',
      '    ],',
      '  },',
      '})',
      '',
    ].join('\n')
    const [remedy] = await remedies({ 'test/shop.test.ts': SHOP_TS, 'vitest.config.ts': config }, finding(spy), {
      configFile: 'vitest.config.ts',
      project: 'shop',
    })
    expect(remedy!.edits[0]!.after).toBe(config.replace("          name: 'shop',", "          restoreMocks: true,\n          name: 'shop',"))
  })

  test('mergeConfig(base, defineConfig({ … })): the literal inside is edited; a config exported through a variable too', async () => {
    const merged = [
      "import { defineConfig, mergeConfig } from 'vitest/config'",
      "import base from './vite.config'",
      '',
      'export default mergeConfig(base, defineConfig({ test: { environment: "node" } }))',
      '',
    ].join('\n')
    const [a] = await remedies({ 'test/shop.test.ts': SHOP_TS, 'vitest.config.mts': merged }, finding(spy), { configFile: `${ROOT}/vitest.config.mts` })
    expect(a!.edits[0]!.after).toContain('defineConfig({ test: { restoreMocks: true, environment: "node" } })')
    const variable = ['const config = {', '  test: {},', '}', 'export default config', ''].join('\n')
    const [b] = await remedies({ 'test/shop.test.ts': SHOP_TS, 'vitest.config.js': variable }, finding(spy), { configFile: 'vitest.config.js' })
    expect(b!.edits[0]!.after).toBe(variable.replace('test: {}', 'test: { restoreMocks: true }'))
  })

  test('a culprit in another file (no isolation): isolate: true comes last, marked as the last resort', async () => {
    const other = 'test/euro.test.ts > storefront in the euro zone > shows euros'
    const list = await remedies(
      { 'test/euro.test.ts': SHOP_TS, 'vitest.config.ts': CONFIG },
      finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY', by: other }], { polluters: [other] }),
      { configFile: 'vitest.config.ts' },
    )
    expect(list.map((r) => [r.kind, r.lastResort ?? false])).toEqual([
      ['restore-env', false],
      ['isolate-config', true],
    ])
    expect(list[0]!.edits[0]!.path).toBe('test/euro.test.ts')
    expect(list[1]!.edits[0]!.after).toContain('test: { isolate: true },')
  })
})

describe("bisect's fix line is the planner describing itself", () => {
  const CONFIG = ["import { defineConfig } from 'vitest/config'", '', 'export default defineConfig({', '  plugins: [],', '})', ''].join('\n')
  const files = { 'test/shop.test.ts': SHOP_TS, 'vitest.config.ts': CONFIG }

  test('the first code remedy, in the words of the patch that writes it, without reading a file', async () => {
    const cases: Array<[Finding, string]> = [
      [finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY' }]), 'restore-env'],
      [finding([{ kind: 'timers', what: 'fake timers', before: 'real', after: 'fake' }]), 'real-timers'],
      [finding([{ kind: 'mock', what: 'console.error', before: 'function error', after: 'a vi.fn() mock' }]), 'restoreAllMocks-hook'],
      [
        finding([
          { kind: 'env', what: 'process.env.A' },
          { kind: 'global', what: 'globalThis.flag', before: '(absent)', after: '42' },
        ]),
        'restore-env',
      ],
    ]
    for (const [f, kind] of cases) {
      const list = await remedies(files, f, { configFile: 'vitest.config.ts' })
      const patch = list.find((r) => !r.kind.endsWith('-config'))!
      const line = firstCodeRemedy({ root: ROOT, finding: f })
      expect(line).toEqual({ kind, summary: patch.summary })
      expect(patch.kind).toBe(kind)
    }
  })

  test("a vi.…() call in the polluter file's own name for vi (import { vitest }), as the patch writes it", async () => {
    const code = SHOP_TS.replace("import { describe, expect, test } from 'vitest'", "import { describe, expect, test, vitest } from 'vitest'")
    const read = (path: string) => ({ 'test/shop.test.ts': code, 'vitest.config.ts': CONFIG })[path.slice(ROOT.length + 1)]
    for (const leak of [
      { kind: 'timers', what: 'fake timers', before: 'real', after: 'fake' },
      { kind: 'mock', what: "vi.fn() 'send' at src/mail.ts:3 calls", before: '0', after: '2' },
    ] as const) {
      const f = finding([leak])
      const patch = (await remedies({ 'test/shop.test.ts': code, 'vitest.config.ts': CONFIG }, f)).find((r) => !r.kind.endsWith('-config'))!
      expect(added(patch.edits[0]!).join('')).toContain(`  vitest.${patch.summary.slice('vitest.'.length).split('(')[0]}()`)
      expect(firstCodeRemedy({ root: ROOT, finding: f, read })).toEqual({ kind: patch.kind, summary: patch.summary })
      expect(patch.summary).toMatch(/^vitest\.\w+\(\) after each test in describe 'storefront in the euro zone' of test\/shop\.test\.ts$/)
    }
  })

  test('after a switch that did not help, the vi.…All…() hook that does the same is passed over; none when the planner has none', () => {
    const spy = finding([{ kind: 'mock', what: 'console.error', before: 'function error', after: 'a vi.fn() mock' }])
    expect(firstCodeRemedy({ root: ROOT, finding: spy }, true)?.kind).toBe('restore-global')
    const exportedLet = finding([{ kind: 'module', what: 'src/counter.ts: count', before: '0', after: '1' }])
    // Only its module can assign an exported let: fix writes no patch for it, so bisect names none.
    expect(firstCodeRemedy({ root: ROOT, finding: exportedLet })).toBeUndefined()
    const exportedMap = finding([{ kind: 'module', what: 'src/cache.ts: cache', before: 'a Map of 0', after: 'a Map of 1' }])
    expect(firstCodeRemedy({ root: ROOT, finding: exportedMap })?.kind).toBe('restore-export')
    expect(firstCodeRemedy({ root: ROOT, finding: finding([{ kind: 'scope', what: 'api of the file' }]) })).toBeUndefined()
    expect(firstCodeRemedy({ root: ROOT, finding: { ...spy, kind: 'independent' } })).toBeUndefined()
  })
})

describe('what gets no patch', () => {
  test('module-private state (nothing visible, no leak verified): none, and why', async () => {
    const result = await plan({ 'test/shop.test.ts': SHOP_TS }, finding([], { noLeak: 'nothing visible changed' }))
    expect(result).toEqual({ none: expect.stringMatching(/verified no leak \(nothing visible changed\).*a `let` nothing exports/) })
    const counter = 'let count = 0\nexport let shown = 0\nlet cache\nexport { cache }\nexport function bump() {\n  count++\n}\n'
    const code = SHOP_TS.replace("from 'vitest'\n", "from 'vitest'\nimport { bump } from '../src/counter.js'\n")
    const named = await plan({ 'test/shop.test.ts': code, 'src/counter.ts': counter }, finding([], { noLeak: 'nothing visible changed' }))
    expect(named).toEqual({
      none: 'module-private state: `let count` of src/counter.ts, which nothing exports, cannot be restored from a test, and the diagnosis verified no leak (nothing visible changed)',
    })
  })

  test('a leak that was ruled out is not patched; a polluter the file does not have is said', async () => {
    expect(
      await plan({ 'test/shop.test.ts': SHOP_TS }, finding([{ kind: 'env', what: 'process.env.X', verified: false, ruledOut: 'no-change' }])),
    ).toHaveProperty('none')
    const gone = await plan(
      { 'test/shop.test.ts': SHOP_TS.replace("describe('storefront", "describe('store' + 'front") },
      finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY' }]),
    )
    expect(gone).toEqual({ none: expect.stringContaining("describe 'storefront in the euro zone' cannot be found in test/shop.test.ts") })
  })
})

describe("a describe's let", () => {
  const STORE = [
    "import { describe, expect, it } from 'vitest'",
    "import { create } from '../src/vanilla'",
    '',
    "describe('subscribe', () => {",
    '  let api',
    '',
    "  it('works as expected', () => {",
    '    const initial = { value: 1 }',
    '    api = create(() => initial)',
    '    ;(api as any).touch?.()',
    '    expect(api.getState()).toBe(initial)',
    '  })',
    '',
    "  it('[DEV-ONLY] warns about misusage', () => {",
    '    expect(() => api.setState(null)).not.toThrow()',
    '  })',
    '})',
    '',
  ].join('\n')

  test('a brittle reader: the assignment (and the declarations it uses) repeated in a beforeEach of the declaring describe, after the declaration', async () => {
    const setter = 'test/subscribe.test.ts > subscribe > works as expected'
    const f: Finding = {
      victim: 'test/subscribe.test.ts > subscribe > [DEV-ONLY] warns about misusage',
      kind: 'brittle',
      polluters: [],
      stateSetters: [setter],
      cleaners: [],
      probes: 4,
      leaks: [{ kind: 'scope', what: "api of describe 'subscribe', assigned by 'works as expected'", before: '', after: '', verified: false, by: setter }],
    }
    const [remedy] = await remedies({ 'test/subscribe.test.ts': STORE }, f)
    expect(remedy!.kind).toBe('describe-setup')
    expect(remedy!.edits[0]!.after).toBe(
      STORE.replace('import { describe, expect, it }', 'import { beforeEach, describe, expect, it }').replace(
        '  let api\n\n',
        '  let api\n\n  beforeEach(() => {\n    const initial = { value: 1 }\n    api = create(() => initial)\n  })\n\n',
      ),
    )
  })
})

describe("a describe's let a polluter changes", () => {
  test('the declared initial value assigned again before each test, after the declaration', async () => {
    const code = [
      "import { describe, expect, test } from 'vitest'",
      '',
      "describe('counter', () => {",
      '  let seen = new Set<string>()',
      "  test('adds', () => {",
      "    seen = new Set(['a'])",
      '  })',
      "  test('starts empty', () => {",
      '    expect(seen.size).toBe(0)',
      '  })',
      '})',
      '',
    ].join('\n')
    const polluter = 'test/counter.test.ts > counter > adds'
    const f: Finding = {
      victim: 'test/counter.test.ts > counter > starts empty',
      kind: 'victim',
      polluters: [polluter],
      stateSetters: [],
      cleaners: [],
      probes: 3,
      leaks: [{ kind: 'scope', what: "seen of describe 'counter', assigned by 'adds'", before: '', after: '', verified: false, by: polluter }],
    }
    const [remedy] = await remedies({ 'test/counter.test.ts': code }, f)
    expect(remedy!.kind).toBe('describe-setup')
    expect(remedy!.edits[0]!.after).toBe(
      code
        .replace('import { describe,', 'import { beforeEach, describe,')
        .replace('  let seen = new Set<string>()\n', '  let seen = new Set<string>()\n  beforeEach(() => {\n    seen = new Set<string>()\n  })\n\n'),
    )
  })
})

describe('a brittle test given its own setup', () => {
  const I18N = [
    "import { describe, expect, test } from 'vitest'",
    "import { settings } from '../src/settings'",
    '',
    "describe('german', () => {",
    "  test('switches to german', () => {",
    "    settings.locale = 'de'",
    "    process.env.LANG = 'de_DE'",
    "    expect(settings.locale).toBe('de')",
    '  })',
    '})',
    '',
    "describe('greeting', () => {",
    "  test('greets in german', () => {",
    "    expect(greet()).toBe('Hallo')",
    '  })',
    '})',
    '',
  ].join('\n')
  const setter = 'test/i18n.test.ts > german > switches to german'
  const brittle = (leaks: Array<Partial<Leak> & Pick<Leak, 'kind' | 'what'>>): Finding => ({
    victim: 'test/i18n.test.ts > greeting > greets in german',
    kind: 'brittle',
    polluters: [],
    stateSetters: [setter],
    cleaners: [],
    probes: 6,
    leaks: leaks.map((l) => ({ before: "'en'", after: "'de'", verified: true, by: setter, ...l })),
  })

  test("the module imported through a tsconfig `paths` alias: the setter is read, the file's own import used, none added", async () => {
    const root = mkdtempSync(join(tmpdir(), 'flakeseed-paths-'))
    try {
      writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths: { '@state/*': ['./src/state/*'] } } }))
      const text = I18N.replace("'../src/settings'", "'@state/settings'")
      const result = await planPatches({
        root,
        finding: brittle([{ kind: 'module', what: 'src/state/settings.ts: settings.locale' }]),
        read: (path) => (path === join(root, 'test/i18n.test.ts') ? text : undefined),
      })
      if ('none' in result) throw new Error(`no patch: ${result.none}`)
      const after = result.remedies[0]!.edits[0]!.after
      expect(after).toContain("    settings.locale = 'de'\n")
      expect(after).not.toContain('src/state/settings')
      expect(after.match(/^import /gm)).toHaveLength(2)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  test("the setter's assignment in a beforeEach of the brittle test's describe, the old value saved and put back", async () => {
    const [remedy, ...rest] = await remedies({ 'test/i18n.test.ts': I18N }, brittle([{ kind: 'module', what: 'src/settings.ts: settings.locale' }]))
    expect(rest).toEqual([])
    expect(remedy!.kind).toBe('describe-setup')
    expect(remedy!.summary).toContain("as 'switches to german' does")
    expect(remedy!.edits[0]!.after).toBe(
      I18N.replace('import { describe,', 'import { beforeEach, describe,').replace(
        "describe('greeting', () => {\n",
        [
          "describe('greeting', () => {",
          '  beforeEach(() => {',
          "    const saved = Object.getOwnPropertyDescriptor(settings, 'locale')",
          "    settings.locale = 'de'",
          '    return () => {',
          "      if (saved) Object.defineProperty(settings, 'locale', saved)",
          "      else Reflect.deleteProperty(settings, 'locale')",
          '    }',
          '  })',
          '',
          '',
        ].join('\n'),
      ),
    )
  })

  test('an env var the setter sets; a state set up by a call repeats the call, saved before and put back after (the refusals: test/integration/fix-setter.test.ts)', async () => {
    const [remedy] = await remedies({ 'test/i18n.test.ts': I18N }, brittle([{ kind: 'env', what: 'process.env.LANG', before: '(unset)' }]))
    expect(added(remedy!.edits[0]!).join('')).toContain("    const saved = process.env.LANG\n    process.env.LANG = 'de_DE'\n")
    const called = I18N.replace("    settings.locale = 'de'", "    settings.use('de')")
    const [call, ...rest] = await remedies({ 'test/i18n.test.ts': called }, brittle([{ kind: 'module', what: 'src/settings.ts: settings.locale' }]))
    expect(rest).toEqual([])
    expect(call!.kind).toBe('call-setup')
    expect(call!.summary).toContain("by repeating 'switches to german's settings.use('de')")
    expect(added(call!.edits[0]!).join('')).toBe(
      [
        "import { beforeEach, describe, expect, test } from 'vitest'",
        '  beforeEach(() => {',
        "    const saved = Object.getOwnPropertyDescriptor(settings, 'locale')",
        "    settings.use('de')",
        '    return () => {',
        "      if (saved) Object.defineProperty(settings, 'locale', saved)",
        "      else Reflect.deleteProperty(settings, 'locale')",
        '    }',
        '  })',
        '',
      ]
        .map((line) => `${line}\n`)
        .join(''),
    )
  })
})

describe('what the setup and scope remedies share', () => {
  const code = [
    "describe('d', () => {",
    "  test('t', () => {",
    '    const id = 1',
    '    api = make({',
    '      id,',
    '      name: other.name,',
    '    })',
    '  })',
    '})',
    '',
  ].join('\n')
  const source = parseSource('a.test.ts', code)!
  // The test's own body: the block that declares `id`.
  let body: Statement[] = []
  walk(source.program, (n) => {
    if (n.type === 'BlockStatement' && n.body[0]?.type === 'VariableDeclaration') body = n.body
  })

  test('a statement copied out keeps its own indentation below its first line', () => {
    expect(nodeLines(code, body[1]!)).toEqual(['api = make({', '  id,', '  name: other.name,', '})'])
  })

  test('the names a statement uses leave out member names and keys; declared names are the declarations of let/const/var', () => {
    expect(identifiersOf(body[1]!).sort()).toEqual(['api', 'id', 'make', 'other'])
    expect(declaredNames(body)).toEqual(['id'])
  })
})

describe('unifiedDiff', () => {
  function gitApplyCheck(files: Record<string, string>, diff: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'flakeseed-patch-'))
    try {
      execFileSync('git', ['init', '-q'], { cwd: dir })
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true })
        writeFileSync(join(dir, path), text)
      }
      writeFileSync(join(dir, 'fix.patch'), diff)
      execFileSync('git', ['apply', '--check', 'fix.patch'], { cwd: dir, stdio: 'pipe' })
      execFileSync('git', ['apply', 'fix.patch'], { cwd: dir, stdio: 'pipe' })
      return Object.keys(files)
        .map((p) => execFileSync('cat', [join(dir, p)]).toString('utf8'))
        .join('\0')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  test('git apply takes the patch of a hook + import (two hunks), of a CRLF file, and of a config', async () => {
    const long = SHOP_TS.replace("describe('storefront", `${Array.from({ length: 20 }, (_, i) => `const x${i} = ${i}\n`).join('')}describe('storefront`)
    const env = finding([{ kind: 'env', what: 'process.env.SHOP_CURRENCY' }])
    const spy = finding([{ kind: 'mock', what: 'console.error', before: 'function error' }])
    const cases: Array<[Record<string, string>, FileEdit[]]> = [
      [{ 'test/shop.test.ts': long }, (await remedies({ 'test/shop.test.ts': long }, env))[0]!.edits],
      [{ 'test/shop.test.ts': SHOP_TS.replace(/\n/g, '\r\n') }, (await remedies({ 'test/shop.test.ts': SHOP_TS.replace(/\n/g, '\r\n') }, env))[0]!.edits],
    ]
    const config = { 'test/shop.test.ts': SHOP_TS, 'vitest.config.ts': 'export default { test: {} }' }
    cases.push([config, (await remedies(config, spy, { configFile: 'vitest.config.ts' }))[0]!.edits])
    for (const [files, edits] of cases) {
      const diff = unifiedDiff(edits)
      expect(diff).toMatch(/^--- a\/(test\/shop\.test\.ts|vitest\.config\.ts)\n\+\+\+ b\//)
      expect(gitApplyCheck(files, diff)).toBe(
        Object.keys(files)
          .map((p) => edits.find((e) => e.path === p)?.after ?? files[p])
          .join('\0'),
      )
    }
    expect(unifiedDiff(cases[0]![1]).match(/^@@ /gm)).toHaveLength(2)
  })

  test('the line diff rebuilds both sides and is minimal, as long as the longest common subsequence (500 random pairs)', () => {
    let state = 7
    const next = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31
      return state % n
    }
    for (let round = 0; round < 500; round++) {
      const a = Array.from({ length: next(12) }, () => `${'abc'[next(3)]}\n`)
      const b = [...a]
      for (let k = next(4); k > 0; k--) b.splice(next(b.length + 1), next(2), `${'abd'[next(3)]}\n`)
      const ops = diffLines(a, b)
      expect(ops.filter((o) => o.op !== '+').map((o) => o.line)).toEqual(a)
      expect(ops.filter((o) => o.op !== '-').map((o) => o.line)).toEqual(b)
      // Minimal: as many unchanged lines as the longest common subsequence has.
      const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
      for (let i = a.length - 1; i >= 0; i--)
        for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
      expect(ops.filter((o) => o.op === ' ').length).toBe(lcs[0]![0])
    }
  })

  test('a file without a final newline: the marker git apply needs', () => {
    const edit = { path: 'a.ts', before: 'one\ntwo', after: 'one\ntwo\nthree' }
    const diff = unifiedDiff([edit])
    expect(diff).toBe('--- a/a.ts\n+++ b/a.ts\n@@ -1,2 +1,3 @@\n one\n-two\n\\ No newline at end of file\n+two\n+three\n\\ No newline at end of file\n')
    expect(gitApplyCheck({ 'a.ts': edit.before }, diff)).toBe(edit.after)
    expect(unifiedDiff([{ path: 'same.ts', before: 'x\n', after: 'x\n' }])).toBe('')
    // Names git C-quotes (a quote, a tab) and names it takes as they are (spaces, non-ASCII).
    for (const path of ['a "b".ts', 'tab\there.ts', 'my tests/prix ü.ts']) {
      const quoted = { path, before: 'a\n', after: 'a\nb\n' }
      expect(gitApplyCheck({ [path]: quoted.before }, unifiedDiff([quoted]))).toBe(quoted.after)
    }
  })
})
