// Reading state a test left behind without running its code, and without showing its secrets:
// the value helpers, the masking, and a snapshot of hostile module exports and globals.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { HIDDEN, isSecretName, maskSecrets } from '../../src/diagnose/diff.js'
import { captureState, type ModuleNode } from '../../src/diagnose/state.js'
import { COPY_LIMIT, identityOf, restoreValue, shallowCopy, shapeOf, show } from '../../src/diagnose/values.js'

const throwing = () =>
  new Proxy(
    {},
    {
      get: () => {
        throw new Error('get')
      },
      ownKeys: () => {
        throw new Error('ownKeys')
      },
      getPrototypeOf: () => {
        throw new Error('getPrototypeOf')
      },
      getOwnPropertyDescriptor: () => {
        throw new Error('descriptor')
      },
    },
  )

const root = mkdtempSync(join(tmpdir(), 'flakeseed-values-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A snapshot of one module with these exports (live bindings as getters, as Vite's module runner has them). */
function snapshot(exports: Record<string, () => unknown>) {
  const namespace = {}
  for (const [name, get] of Object.entries(exports)) Object.defineProperty(namespace, name, { enumerable: true, get })
  const node: ModuleNode = { id: '/src/state.ts', file: join(root, 'src/state.ts'), exports: namespace, imports: new Set() }
  return captureState({ root, skip: [], vi: undefined, modules: [{ name: 'src/state.ts', node }] })
}

describe('values', () => {
  test('shapes by brand, never by a trap', () => {
    expect([[], new Map(), new Set(), new Date(0), /x/, {}, () => 1, 1, throwing()].map((v) => shapeOf(v))).toEqual([
      'array',
      'map',
      'set',
      'date',
      'regexp',
      'object',
      'function',
      'primitive',
      'proxy',
    ])
  })

  test('show: one short line, a Proxy or a getter never touched, secrets masked at every depth', () => {
    let touched = 0
    const withGetter = {
      get value() {
        touched++
        return 1
      },
    }
    expect(show(throwing())).toBe('a Proxy')
    expect(show(withGetter)).toBe('an object of 1 keys')
    expect(touched).toBe(0)
    expect(show({ items: [1] })).toBe('{"items":[1]}')
    expect(show([1, 2])).toBe('[1,2]')
    expect(show('EUR')).toBe("'EUR'")
    expect(show(new Map([[1, 2]]))).toBe('a Map of 1')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(show(cyclic)).toBe('an object of 1 keys')
    expect(show({ db: { password: 'hunter2', host: 'h' } })).toBe('{"db":{"password":"(hidden)","host":"h"}}')
    expect(show({ note: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' })).toBe('{"note":"(hidden)"}')
    expect(show('postgres://u:secret@h/db')).toBe("'postgres://u:(hidden)@h/db'")
    class Store {
      #items = [1]
      get size() {
        return this.#items.length
      }
    }
    expect(show(new Store())).toBe('a Store')
  })

  test('show does not use JSON.stringify as a test left it', () => {
    const spy = vi.spyOn(JSON, 'stringify').mockReturnValue('"x"')
    try {
      expect(show({ items: [1] })).toBe('{"items":[1]}')
      expect(show('EUR')).toBe("'EUR'")
    } finally {
      spy.mockRestore()
    }
  })

  test('an in-place change of a collection changes its identity; a copy puts it back', () => {
    const list = [1, { a: 1 }]
    const before = identityOf(list)
    const copy = shallowCopy(list)
    ;(list[1] as { a: number }).a = 2
    expect(identityOf(list)).not.toBe(before)
    list.push(3)
    restoreValue(list, copy)
    expect(list).toHaveLength(2)
    const map = new Map([[1, 'a']])
    const mapBefore = identityOf(map)
    const mapCopy = shallowCopy(map)
    map.set(1, 'b')
    expect(identityOf(map)).not.toBe(mapBefore)
    restoreValue(map, mapCopy)
    expect(map.get(1)).toBe('a')
  })

  test('a collection larger than the copy limit: its size counts, it is not copied, and cannot be put back', () => {
    const big = new Map<number, number>()
    for (let i = 0; i <= COPY_LIMIT; i++) big.set(i, i)
    const before = identityOf(big)
    expect(shallowCopy(big)).toBeUndefined()
    big.set(-1, -1)
    expect(identityOf(big)).not.toBe(before)
    expect(() => restoreValue(big, undefined)).toThrow()
    // Nor is it walked: its identity (a sample) and the copy it refuses each cost a small part of
    // those of a collection at the limit, which are read whole. Timed back to back, the best of
    // three pairs counts (test files run two at a time: a load spike can land on one side of a pair).
    const atLimit = new Map<number, number>()
    for (let i = 0; i < COPY_LIMIT; i++) atLimit.set(i, i)
    for (const read of [identityOf, shallowCopy]) {
      const cost = (value: Map<number, number>) => {
        const started = performance.now()
        read(value)
        return performance.now() - started
      }
      const ratios = [1, 2, 3].map(() => cost(big) / cost(atLimit))
      expect(Math.min(...ratios), `${read.name}: ${ratios.join(', ')}`).toBeLessThan(0.25)
    }
  })
})

describe('secrets', () => {
  test('names that look secret, at any position and case', () => {
    for (const name of [
      'GITHUB_TOKEN',
      'api_key',
      'apiKey',
      'DB_PASS',
      'MYSQL_PWD',
      'DB_PASSWORD',
      'AUTH_HEADER',
      'session_cookie',
      'privateKey',
      'signature',
      'GOOGLE_CREDENTIALS',
    ]) {
      expect(isSecretName(name), name).toBe(true)
    }
    for (const name of ['SHOP_CURRENCY', 'NODE_ENV', 'TZ', 'locale', 'DATABASE_URL']) expect(isSecretName(name), name).toBe(false)
  })

  test('values shaped like keys are hidden whole; credentials in URLs and secret parameters are hidden in place', () => {
    const keys = [
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
      'AKIAIOSFODNN7EXAMPLE',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      'Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a',
    ]
    for (const key of keys) expect(maskSecrets(key), key).toBe(HIDDEN)
    expect(maskSecrets('postgres://u:secret@h:5432/db')).toBe('postgres://u:(hidden)@h:5432/db')
    expect(maskSecrets('https://api.example.com/v1?token=abc123&page=2')).toBe('https://api.example.com/v1?token=(hidden)&page=2')
    expect(maskSecrets('EUR')).toBe('EUR')
  })
})

describe('a snapshot of hostile state', () => {
  test('a throwing Proxy, a side-effecting getter, a class with private fields: read without a throw, the small export still seen', () => {
    let touched = 0
    const state = { items: [] as number[] }
    const config = {
      get value() {
        touched++
        return 1
      },
    }
    class Store {
      #items: number[] = []
      get size() {
        return this.#items.length
      }
    }
    const messages = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`m${i}`, `message ${i}`]))
    const snap = snapshot({ hostile: throwing, config: () => config, store: () => new Store(), messages: () => messages, state: () => state })
    expect(touched).toBe(0)
    expect(snap.entries.get('module:src/state.ts:hostile')?.display).toBe('a Proxy')
    expect(snap.entries.get('module:src/state.ts:store')?.display).toBe('a Store')
    expect(snap.entries.get('module:src/state.ts:config.value')).toBeUndefined()
    expect(snap.entries.get('module:src/state.ts:state.items')?.display).toBe('[]')
  })

  test('a throwing Proxy on globalThis is compared by identity and shown as a Proxy', () => {
    const g = globalThis as Record<string, unknown>
    g.hostileForTest = throwing()
    try {
      const snap = snapshot({})
      expect(snap.entries.get('global:hostileForTest')?.display).toBe('a Proxy')
    } finally {
      delete g.hostileForTest
    }
  })

  test('a builtin a test spied on (a function owner, Date.now; an object owner, JSON.stringify) is a mock', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(0)
    const stringify = vi.spyOn(JSON, 'stringify').mockReturnValue('"x"')
    try {
      const snap = snapshot({})
      expect(snap.entries.get('fn:Date.now')).toMatchObject({ mock: true, display: 'a vi.fn() mock' })
      expect(snap.entries.get('fn:JSON.stringify')).toMatchObject({ mock: true, display: 'a vi.fn() mock' })
    } finally {
      now.mockRestore()
      stringify.mockRestore()
    }
  })

  test('a hostile localStorage costs only itself: sessionStorage is still read', () => {
    const g = globalThis as Record<string, unknown>
    const items = new Map([['cart', '[1]']])
    g.localStorage = throwing()
    g.sessionStorage = { length: 1, key: (i: number) => [...items.keys()][i] ?? null, getItem: (k: string) => items.get(k) ?? null }
    try {
      expect(snapshot({}).entries.get('dom:sessionStorage:cart')?.display).toBe("'[1]'")
    } finally {
      delete g.localStorage
      delete g.sessionStorage
    }
  })

  test('a getter a test put in place of an environment global is not invoked', () => {
    let touched = 0
    const original = Object.getOwnPropertyDescriptor(globalThis, 'BroadcastChannel')!
    // One of Node's lazy globals: a getter when the module loaded (a snapshot reads it through, after which it is data).
    Object.defineProperty(globalThis, 'BroadcastChannel', {
      configurable: true,
      get: () => {
        touched++
        return undefined
      },
    })
    try {
      expect(snapshot({}).entries.get('global:BroadcastChannel')?.display).toBe('a getter')
      expect(touched).toBe(0)
    } finally {
      Object.defineProperty(globalThis, 'BroadcastChannel', original)
    }
  })

  test('a getter a test put on globalThis is not invoked', () => {
    let touched = 0
    Object.defineProperty(globalThis, 'getterForTest', {
      configurable: true,
      get: () => {
        touched++
        return 1
      },
    })
    try {
      expect(snapshot({}).entries.get('global:getterForTest')?.display).toBe('a getter')
      expect(touched).toBe(0)
    } finally {
      delete (globalThis as Record<string, unknown>).getterForTest
    }
  })

  test('secrets at any depth of an export or a global never reach a display', () => {
    const g = globalThis as Record<string, unknown>
    g.settingsForTest = { apiKey: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', nested: { password: 'hunter2' } }
    try {
      const snap = snapshot({ config: () => ({ db: { password: 'hunter2', url: 'postgres://u:s3cr3t@h/db' } }) })
      const shown = [...snap.entries.values()].map((e) => e.display).join('\n')
      for (const secret of ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'hunter2', 's3cr3t']) expect(shown).not.toContain(secret)
      expect(snap.entries.get('module:src/state.ts:config.db.url')?.display).toBe("'postgres://u:(hidden)@h/db'")
      expect(
        snapshot({ seen: () => ({ ghp_16C7e42F292c6912E7710c838347Ae178B4a: true }) }).entries.get(
          'module:src/state.ts:seen.ghp_16C7e42F292c6912E7710c838347Ae178B4a',
        )?.what,
      ).toBe('src/state.ts: seen.(hidden)')
    } finally {
      delete g.settingsForTest
    }
  })
})
