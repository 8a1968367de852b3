// The diagnosis' pure parts: two snapshots in, the state changes out; a leak in, a fix out.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { REPO } from '../../scripts/sandbox.mjs'
import { diffStates, displayValue, isSecretName, type StateEntry } from '../../src/diagnose/diff.js'
import { cleanerFix, codeFix, configFix, setupFix } from '../../src/diagnose/fix.js'
import { causeText, fixText, leakClaim } from '../../src/core/format.js'
import { captureState, undo } from '../../src/diagnose/state.js'
import { loadParser, scopeNeeds, testStatements, transpilingParser } from '../../src/diagnose/source.js'
import { creationSite } from '../../src/worker/diagnosis.js'
import type { Leak } from '../../src/core/model.js'

const entry = (kind: StateEntry['kind'], what: string, identity: unknown, extra: Partial<StateEntry> = {}): StateEntry => ({
  kind,
  what,
  identity,
  display: displayValue(identity),
  ...extra,
})

describe('diffStates', () => {
  test('added, changed and removed entries, in key order; equal identities are no change', () => {
    const before = new Map([
      ['env:A', entry('env', 'process.env.A', '1')],
      ['env:B', entry('env', 'process.env.B', '2')],
      ['env:C', entry('env', 'process.env.C', '3')],
    ])
    const after = new Map([
      ['env:A', entry('env', 'process.env.A', '1')],
      ['env:B', entry('env', 'process.env.B', 'two')],
      ['env:D', entry('env', 'process.env.D', '4')],
    ])
    expect(diffStates(before, after)).toEqual([
      { key: 'env:B', kind: 'env', what: 'process.env.B', before: "'2'", after: "'two'" },
      { key: 'env:C', kind: 'env', what: 'process.env.C', before: "'3'", after: '(unset)' },
      { key: 'env:D', kind: 'env', what: 'process.env.D', before: '(unset)', after: "'4'" },
    ])
  })

  test('an object replaced as a whole is one change, not one per property; one changed in place shows its property', () => {
    const settings = { locale: 'en-US' }
    const replaced = { locale: 'de-DE' }
    const before = new Map([
      ['module:s.ts:settings', entry('module', 's.ts: settings', settings, { container: true })],
      ['module:s.ts:settings.locale', entry('module', 's.ts: settings.locale', 'en-US')],
    ])
    const swapped = new Map([
      ['module:s.ts:settings', entry('module', 's.ts: settings', replaced, { container: true })],
      ['module:s.ts:settings.locale', entry('module', 's.ts: settings.locale', 'de-DE')],
    ])
    expect(diffStates(before, swapped).map((c) => c.what)).toEqual(['s.ts: settings'])
    const mutated = new Map([
      ['module:s.ts:settings', entry('module', 's.ts: settings', settings, { container: true })],
      ['module:s.ts:settings.locale', entry('module', 's.ts: settings.locale', 'de-DE')],
    ])
    expect(diffStates(before, mutated)).toEqual([
      { key: 'module:s.ts:settings.locale', kind: 'module', what: 's.ts: settings.locale', before: "'en-US'", after: "'de-DE'" },
    ])
  })

  test('a function that became a mock is a mock leak, whatever slot it sits in', () => {
    const original = () => {}
    const mock = Object.assign(() => {}, { _isMockFunction: true })
    const before = new Map([['fn:console.error', entry('global', 'console.error', original)]])
    const after = new Map([['fn:console.error', entry('global', 'console.error', mock, { mock: true })]])
    expect(diffStates(before, after)).toEqual([
      { key: 'fn:console.error', kind: 'mock', what: 'console.error', before: 'function original', after: 'a vi.fn() mock' },
    ])
  })
})

describe('values and secrets', () => {
  test('values read as one short line', () => {
    expect(displayValue('EUR')).toBe("'EUR'")
    expect(displayValue(3)).toBe('3')
    expect(displayValue(undefined)).toBe('undefined')
    expect(displayValue('x'.repeat(100))).toHaveLength(60)
    expect(displayValue('a\nb')).toBe("'a\\nb'")
    expect(displayValue([1, 2])).toBe('[1,2]')
    expect(displayValue(new Map([[1, 2]]))).toBe('a Map of 1')
    expect(displayValue(function named() {})).toBe('function named')
  })

  test('names that look secret', () => {
    for (const name of ['GITHUB_TOKEN', 'api_key', 'DB_PASSWORD', 'AUTH_HEADER', 'session_cookie', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_CREDENTIALS']) {
      expect(isSecretName(name), name).toBe(true)
    }
    for (const name of ['SHOP_CURRENCY', 'NODE_ENV', 'TZ', 'locale']) expect(isSecretName(name), name).toBe(false)
  })
})

describe('fixes', () => {
  const leak = (kind: Leak['kind'], what: string, before: string, after: string): Leak => ({
    kind,
    what,
    before,
    after,
    verified: true,
    by: 'test/a.test.ts > shop > storefront in the euro zone',
  })
  const by = 'test/a.test.ts > shop > storefront in the euro zone'

  test('the code that undoes each kind of leak, and where it goes', () => {
    expect(codeFix(leak('env', 'process.env.SHOP_CURRENCY', '(unset)', "'EUR'"), by).suggestion).toBe(
      "delete process.env.SHOP_CURRENCY in an afterEach of 'storefront in the euro zone'",
    )
    expect(codeFix(leak('env', 'process.env.TZ', "'UTC'", "'CET'"), by).suggestion).toBe(
      "restore process.env.TZ (to 'UTC') in an afterEach of 'storefront in the euro zone'",
    )
    expect(codeFix(leak('env', 'process.env.TOKEN', '(hidden)', '(hidden)'), by).suggestion).toBe(
      "restore process.env.TOKEN in an afterEach of 'storefront in the euro zone'",
    )
    expect(codeFix(leak('timers', 'fake timers', 'real timers', 'installed'), by).suggestion).toBe(
      "vi.useRealTimers() in an afterEach of 'storefront in the euro zone'",
    )
    expect(codeFix(leak('module', 'src/settings.ts: settings.locale', "'en-US'", "'de-DE'"), by).suggestion).toBe(
      "restore settings.locale of src/settings.ts (to 'en-US') after 'storefront in the euro zone'",
    )
    expect(codeFix(leak('file', 'out/cache.json', '(absent)', '12 bytes'), by).suggestion).toBe(
      "delete out/cache.json in an afterEach of 'storefront in the euro zone'",
    )
    expect(codeFix(leak('dom', "localStorage['cart']", '(absent)', "'[1]'"), by).suggestion).toBe(
      "remove localStorage['cart'] in an afterEach of 'storefront in the euro zone'",
    )
    expect(codeFix(leak('env', 'process.env.X', '(unset)', "'1'"), by).how).toBe('undo-rerun')
  })

  test('config switches exist for spies and for vi.stubEnv / vi.stubGlobal only', () => {
    expect(configFix(leak('mock', 'console.error', 'function error', 'a vi.fn() mock'), { stubbedEnv: [], stubbedGlobal: [] })?.config).toEqual({
      restoreMocks: true,
    })
    expect(configFix(leak('env', 'process.env.API', '(unset)', "'x'"), { stubbedEnv: ['API'], stubbedGlobal: [] })?.config).toEqual({ unstubEnvs: true })
    expect(configFix(leak('env', 'process.env.API', '(unset)', "'x'"), { stubbedEnv: [], stubbedGlobal: [] })).toBeUndefined()
    expect(configFix(leak('global', 'globalThis.fetch', 'function fetch', 'a vi.fn() mock'), { stubbedEnv: [], stubbedGlobal: ['fetch'] })?.config).toEqual({
      unstubGlobals: true,
    })
  })

  test('how a fix was checked, in words: for a brittle test the undo made it fail', () => {
    const fix = { suggestion: 'x', verified: true, how: 'undo-rerun' as const }
    // The undo probe put the state back itself: the code said is not what ran.
    expect(fixText(fix)).toBe('x; verified by undoing the leak, not by running this code')
    expect(fixText(fix, 'brittle')).toBe('x; verified: it fails when that is undone, not by running this code')
    // When `flakeseed fix` can write it, the text says who runs the code: one sentence, one bracket at most.
    expect(fixText({ ...fix, remedy: 'restore-env' })).toBe(
      'x; verified by undoing the leak, not by running this code (flakeseed fix checks the code as a patch)',
    )
    expect(fixText({ ...fix, how: 'config-rerun' }, 'brittle')).toBe('x; verified: the victim passes in a rerun with it')
    expect(fixText({ ...fix, verified: false })).toBe('x; not verified')
    // A cause group's fix names the victim it was verified on.
    expect(fixText(fix, undefined, 'a.test.ts > v')).toBe('x; verified on a.test.ts > v by undoing the leak, not by running this code')
    expect(fixText({ ...fix, how: 'cleaner' }, undefined, 'a.test.ts > v')).toBe('x; verified on a.test.ts > v: the victim passes with it run in between')
  })

  test('a brittle test should set up what it needs itself; a cleaner says what it runs, or that no fix was found', () => {
    expect(setupFix(leak('env', 'process.env.LANG', '(unset)', "'de'"), 'a.test.ts > needs german', 'a.test.ts > sets german').suggestion).toBe(
      "set up process.env.LANG ('de') in 'needs german' itself (a beforeEach): today only 'sets german' does",
    )
    const cleaner = ['a.test.ts > cache > clearCache empties the shared cache']
    expect(cleanerFix(cleaner, [['clearCache()', 'expect(cache.size).toBe(0)']], by).suggestion).toBe(
      "running 'clearCache empties the shared cache' between them makes it pass; it runs `clearCache()`: run that in an afterEach of 'storefront in the euro zone'",
    )
    for (const unread of [[undefined], [['expect(cache.size).toBe(0)']]]) {
      const text = cleanerFix(cleaner, unread, by).suggestion
      expect(text).toBe(
        "running 'clearCache empties the shared cache' between them makes it pass; no fix found: what in its code undoes the pollution could not be read",
      )
      expect(text).not.toMatch(/do the same/)
    }
  })
})

describe('claims (issue 20)', () => {
  const leak = (extra: Partial<Leak>): Leak => ({
    kind: 'env',
    what: 'process.env.A',
    before: '(unset)',
    after: "'1'",
    verified: false,
    by: 'a.test.ts > p',
    ...extra,
  })

  test('each leak says what the probes showed of it, the same way everywhere', () => {
    expect(leakClaim(leak({ verified: true }))).toBe('verified: the victim passes when it is restored')
    expect(leakClaim(leak({ together: true }))).toMatch(/^verified together: one or more of these/)
    expect(leakClaim(leak({ ruledOut: 'cause-alone' }))).toBe('also left behind, not needed: undoing the cause alone was enough')
    expect(leakClaim(leak({ ruledOut: 'no-change' }))).toBe('also left behind, not the cause: undoing every leak together changed nothing')
    expect(leakClaim(leak({}))).toBe('also left behind, not checked')
    // The cause in one line: the verified leak; else the group, said to be a group; else none.
    expect(causeText([leak({ ruledOut: 'cause-alone' }), leak({ what: 'process.env.B', verified: true })])).toBe("env process.env.B: (unset) → '1'")
    expect(causeText([leak({ together: true }), leak({ what: 'process.env.B', together: true })])).toBe(
      "env process.env.A: (unset) → '1'; env process.env.B: (unset) → '1' (verified together: one or more of these)",
    )
    expect(causeText([leak({ ruledOut: 'no-change' })])).toBeUndefined()
  })

  test('a BigInt reads as one; an exported Map, Set or array is put back in place', () => {
    expect(displayValue(10n)).toBe('10n')
    const by = 'test/a.test.ts > shop > fills the cache'
    const module = (what: string, before: string) => codeFix(leak({ kind: 'module', what, before, after: 'x' }), by).suggestion
    expect(module('src/cache.ts: cache', 'a Map of 0')).toBe("empty cache of src/cache.ts in place (cache.clear()) in an afterEach of 'fills the cache'")
    expect(module('src/cache.ts: store.items', '[]')).toBe(
      "empty store.items of src/cache.ts in place (store.items.length = 0) in an afterEach of 'fills the cache'",
    )
    expect(module('src/cache.ts: seen', 'a Set of 2')).toBe(
      "put back the entries of seen of src/cache.ts in place (to a Set of 2) in an afterEach of 'fills the cache'",
    )
  })
})

describe('mock call counts (issue 20, item 7)', () => {
  test('a mock made in between is no leak; one whose calls grew is; its fixes clear it', () => {
    const calls = (n: number) => entry('mock', 'vi.fn() at t.test.ts:2 calls', n, { baselineOnly: true })
    expect(diffStates(new Map(), new Map([['mock:calls:0', calls(1)]]))).toEqual([])
    expect(diffStates(new Map([['mock:calls:0', calls(0)]]), new Map([['mock:calls:0', calls(1)]]))).toMatchObject([{ kind: 'mock', before: '0', after: '1' }])
    const leak: Leak = { kind: 'mock', what: 'vi.fn() at t.test.ts:2 calls', before: '0', after: '1', verified: true, by: 't.test.ts > p' }
    expect(configFix(leak, { stubbedEnv: [], stubbedGlobal: [] })?.config).toEqual({ clearMocks: true })
    expect(codeFix(leak, 't.test.ts > p').suggestion).toBe("clear the vi.fn() at t.test.ts:2 (mockClear()) in an afterEach of 'p'")
  })

  test('where a mock was made: the first stack frame in a project file', () => {
    const stack = ['Error', '    at Object.fn (/p/node_modules/vitest/dist/x.js:1:1)', '    at /p/test/a.test.ts:3:16', '    at /p/src/b.ts:9:1'].join('\n')
    expect(creationSite(stack, '/p')).toBe('test/a.test.ts:3')
    expect(creationSite('Error\n    at file:///p/test/c.test.ts:7:2', '/p')).toBe('test/c.test.ts:7')
    expect(creationSite('Error\n    at node:internal/x:1:1', '/p')).toBe('')
  })
})

describe('prototypes in a snapshot (issue 20, item 7)', () => {
  test("a built-in's prototype gaining a property is a change, and undoing it deletes the property", () => {
    const root = mkdtempSync(join(tmpdir(), 'flakeseed-proto-'))
    const snapshot = () => captureState({ root, skip: [], vi: undefined, modules: [] })
    try {
      const before = snapshot()
      Object.defineProperty(Array.prototype, 'lastOne', { value: 1, configurable: true, writable: true })
      const after = snapshot()
      expect(diffStates(before.entries, after.entries)).toEqual([
        { key: 'proto:Array.prototype.lastOne', kind: 'global', what: 'Array.prototype.lastOne', before: '(absent)', after: '1' },
      ])
      expect(undo('proto:Array.prototype.lastOne', before, after)).toBe(true)
      expect(Object.hasOwn(Array.prototype, 'lastOne')).toBe(false)
    } finally {
      delete (Array.prototype as unknown as Record<string, unknown>).lastOne
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe("a test's statements, read from its source (Vite's parser)", () => {
  test('found by describe chain and title, one line each; a repeated title reads the first', async () => {
    const parse = await loadParser(REPO)
    expect(parse).toBeTypeOf('function')
    const code = [
      "import { describe, test } from 'vitest'",
      "describe('shop', () => {",
      '  let api: { n: number } | undefined',
      "  test('resets the counter', () => {",
      '    reset(1 as number)',
      '    api = {',
      '      n: 2 }',
      '  })',
      "  test.skip('other', async () => { await other() })",
      '})',
    ].join('\n')
    expect(testStatements(parse!, 'a.test.ts', code, 'shop > resets the counter')).toEqual(['reset(1 as number)', 'api = { n: 2 }'])
    expect(testStatements(parse!, 'a.test.ts', code, 'shop > other')).toEqual(['await other()'])
    expect(testStatements(parse!, 'a.test.ts', code, 'shop > missing')).toBeUndefined()
    expect(testStatements(parse!, 'a.test.ts', 'test((', 'x')).toBeUndefined()
  })
})

describe("a describe's variable, shared between tests (issue 20, item 7: zustand)", () => {
  test('the let a test reads, the describe that declares it, and the tests that assign it', async () => {
    const parse = (await loadParser(REPO))!
    const code = [
      'let top = 0',
      "describe('with redux middleware', () => {",
      '  let api: any',
      '  const fixed = 1',
      "  test('works as expected', () => { api = make(); top++ })",
      "  test('reads', () => { expect(api.state).toBe(fixed); expect(top).toBe(1); other.api = 2 })",
      "  describe('inner', () => { let api = 3; test('shadowed', () => { api = 4 }) })",
      '})',
    ].join('\n')
    expect(scopeNeeds(parse, 'a.test.ts', code, 'with redux middleware > reads')).toEqual([
      { variable: 'api', describe: 'with redux middleware', assignedBy: ['with redux middleware > works as expected'] },
      { variable: 'top', describe: '', assignedBy: ['with redux middleware > works as expected'] },
    ])
    expect(scopeNeeds(parse, 'a.test.ts', code, 'with redux middleware > works as expected')).toEqual([])
  })
})

describe('before Vite 8 (no parseSync): Vite’s parseAst over the project’s TypeScript output', () => {
  test('a .tsx file: the describe variable and the statements are read from the transpiled code', async () => {
    const { parseAst } = await import('vite')
    const ts = (await import('typescript')).default
    const parse = transpilingParser(parseAst as never, ts as never)
    const code = [
      "import { describe, expect, test } from 'vitest'",
      "describe('with redux middleware', () => {",
      '  let api: { dispatch(a: unknown): void } | undefined',
      "  test('works as expected', () => { api = make(<div>x</div>) as never })",
      "  test('[DEV-ONLY] warns about misusage', () => { expect(api!.dispatch).toBeDefined() })",
      '})',
    ].join('\n')
    expect(scopeNeeds(parse, 'a.test.tsx', code, 'with redux middleware > [DEV-ONLY] warns about misusage')).toEqual([
      { variable: 'api', describe: 'with redux middleware', assignedBy: ['with redux middleware > works as expected'] },
    ])
    expect(testStatements(parse, 'a.test.tsx', code, 'with redux middleware > works as expected')).toEqual([
      'api = make(React.createElement("div", null, "x"));',
    ])
  })
})
