// What can remove one leak, smallest first: a Vitest config switch for the way the state was
// changed, a `vi.…()` call in an afterEach, the value saved before the polluter and put back after
// it. Code is written against a `CodeContext` (the polluter's file, parsed), so names come out as
// the file imports them and in its quotes.
import type { Leak } from '../core/model.js'
import type { Lines } from './hooks.js'
import type { Block } from './locate.js'
import { isIdentifier, type Node, type Source } from './source.js'
import type { PatchOrigin, RemedyKind } from './types.js'

/** What a hook's code may ask of the file it goes into. */
export interface CodeContext {
  /** `beforeEach`/`afterEach` for a test polluter, `beforeAll`/`afterAll` for a describe's hooks. */
  each: 'Each' | 'All'
  /** A name from 'vitest' as the file has it (imported if needed, unless globals). */
  vitest(name: string): string
  /** A name from 'node:fs' as the file has it (imported if needed). */
  fs(name: string): string
  /** An export of a project module (path relative to the project root) as the file can reach it; undefined when it cannot. */
  exported(module: string, name: string): string | undefined
  /** A URL expression for a project file (relative to the project root) from the test file; undefined when the file cannot say one. */
  fileUrl(file: string): string | undefined
  /** A string literal in the file's quotes. */
  q(text: string): string
  /** The file the hook goes into. */
  source: Source
}

/**
 * A hook's code (with the describe it goes into when not the polluter's: undefined for the top level;
 * and the statement it follows when not first), or why it cannot be written in this file.
 */
export type HookCode = (ctx: CodeContext) => Lines | { lines: Lines; into: Block | undefined; after?: Node } | string

export type Candidate =
  | { kind: RemedyKind; summary: string; config: Record<string, boolean>; lastResort?: boolean }
  | {
      kind: RemedyKind
      summary: string
      code: HookCode
      /** The test (or describe) whose file and innermost describe get the hook. */
      by: string
      /** The summary with the place its code goes into said inside it (default: `${summary} in ${place}`). */
      placed?: (place: string) => string
    }

/** The remedies for one leak, smallest first; empty when none can be written. */
export function candidatesFor(leak: Leak, origin: PatchOrigin | undefined): Candidate[] {
  const by = leak.by
  const hook = (kind: RemedyKind, summary: string, code: HookCode): Candidate => ({ kind, summary, code, by })
  const config = (kind: RemedyKind, key: string): Candidate => ({ kind, summary: `${key}: true in the Vitest config`, config: { [key]: true } })
  const call = (kind: RemedyKind, method: string): Candidate =>
    hook(kind, `vi.${method}() after each test`, (c) => [
      [0, `${c.vitest(`after${c.each}`)}(() => {`],
      [1, `${c.vitest('vi')}.${method}();`],
      [0, '});'],
    ])
  const restore = restoreCandidate(leak, hook)
  switch (leak.kind) {
    case 'env': {
      const name = leak.what.slice('process.env.'.length)
      const stubbed = origin?.stubbedEnv.includes(name)
      return stubbed ? [config('unstubEnvs-config', 'unstubEnvs'), call('unstubAllEnvs-hook', 'unstubAllEnvs'), ...restore] : restore
    }
    case 'global': {
      const stubbed = leak.what.startsWith('globalThis.') && origin?.stubbedGlobal.includes(leak.what.slice('globalThis.'.length))
      return stubbed ? [config('unstubGlobals-config', 'unstubGlobals'), call('unstubAllGlobals-hook', 'unstubAllGlobals'), ...restore] : restore
    }
    case 'mock':
      if (leak.what.endsWith(' calls')) return [config('clearMocks-config', 'clearMocks'), call('clearAllMocks-hook', 'clearAllMocks')]
      return [config('restoreMocks-config', 'restoreMocks'), call('restoreAllMocks-hook', 'restoreAllMocks'), ...restore]
    case 'timers':
      return [call('real-timers', 'useRealTimers')]
    default:
      return restore
  }
}

export type HookMaker = (kind: RemedyKind, summary: string, code: HookCode) => Candidate

/**
 * The value saved before each test of the polluter's describe and put back after it, as code; none
 * when it cannot be said. With `setup`, the hook also sets the state up after saving it (a brittle
 * test's own setup, undone after it like any other change).
 */
export function restoreCandidate(leak: Leak, hook: HookMaker, setup?: (c: CodeContext) => Lines | string): Candidate[] {
  const saved = (kind: RemedyKind, what: string, code: (c: CodeContext) => { save: string; restore: Lines } | string) =>
    hook(kind, `save ${what} before each test and put it back after`, (c) => {
      const parts = code(c)
      if (typeof parts === 'string') return parts
      const set = setup?.(c) ?? []
      if (typeof set === 'string') return set
      return [
        [0, `${c.vitest(`before${c.each}`)}(() => {`],
        [1, `const saved = ${parts.save};`],
        ...set.map(([depth, text]) => [depth + 1, text] as const),
        [1, 'return () => {'],
        ...parts.restore.map(([depth, text]) => [depth + 2, text] as const),
        [1, '};'],
        [0, '});'],
      ]
    })
  switch (leak.kind) {
    case 'env': {
      const name = leak.what.slice('process.env.'.length)
      const target = (c: CodeContext) => (isIdentifier(name) ? `process.env.${name}` : `process.env[${c.q(name)}]`)
      return [
        saved('restore-env', leak.what, (c) => ({
          save: target(c),
          restore: [
            [0, `if (saved === undefined) delete ${target(c)};`],
            [0, `else ${target(c)} = saved;`],
          ],
        })),
      ]
    }
    case 'mock':
      if (leak.what.includes(': ')) return moduleCandidates(leak, saved)
      return globalPath(leak.what) ? [saved('restore-global', leak.what, (c) => property(c, globalPath(leak.what)!))] : []
    case 'global':
      return globalPath(leak.what) ? [saved('restore-global', leak.what, (c) => property(c, globalPath(leak.what)!))] : []
    case 'module':
      return moduleCandidates(leak, saved)
    case 'process':
      return processCandidates(leak, saved)
    case 'dom':
      return domCandidates(leak, saved)
    case 'file':
      return fileCandidates(leak, hook, saved)
    default:
      return []
  }
}

type Saver = (kind: RemedyKind, what: string, code: (c: CodeContext) => { save: string; restore: Lines } | string) => Candidate

/** `owner.key` of a global path (`globalThis.fetch`, `console.error`, `Array.prototype.x`); undefined when a part is no plain name. */
function globalPath(what: string): { owner: string; key: string } | undefined {
  const parts = what.split('.')
  if (parts.length < 2 || !parts.every(isIdentifier)) return undefined
  return { owner: parts.slice(0, -1).join('.'), key: parts.at(-1)! }
}

/** A property put back as it was (a getter stays a getter), or deleted when it was not there (never set to undefined). */
function property(c: CodeContext, { owner, key }: { owner: string; key: string }): { save: string; restore: Lines } {
  return {
    save: `Object.getOwnPropertyDescriptor(${owner}, ${c.q(key)})`,
    restore: [
      [0, `if (saved) Object.defineProperty(${owner}, ${c.q(key)}, saved);`],
      [0, `else Reflect.deleteProperty(${owner}, ${c.q(key)});`],
    ],
  }
}

/** A collection's kind from its display (`a Map of 3`, `[1,2]`, `an array of 200`). */
function collectionOf(display: string): 'map' | 'set' | 'array' | undefined {
  if (/^a Map of \d+$/.test(display)) return 'map'
  if (/^a Set of \d+$/.test(display)) return 'set'
  if (display.startsWith('[') || /^an array of \d+$/.test(display)) return 'array'
  return undefined
}

/** Entries put back into the same collection, in place: other modules hold the same object. */
function refill(kind: 'map' | 'set' | 'array', target: string): { save: string; restore: Lines } {
  if (kind === 'array') return { save: `[...${target}]`, restore: [[0, `${target}.splice(0, ${target}.length, ...saved);`]] }
  return {
    save: `new ${kind === 'map' ? 'Map' : 'Set'}(${target})`,
    restore: [
      [0, `${target}.clear();`],
      [0, kind === 'map' ? `for (const [key, value] of saved) ${target}.set(key, value);` : `for (const value of saved) ${target}.add(value);`],
    ],
  }
}

/**
 * A top-level binding of a module that is no Map, Set or array (an exported `let`): its remedy is
 * listed, but its code says why it cannot be written (only its own module can assign it).
 */
export function onlyItsModuleAssigns(leak: Leak): boolean {
  const colon = leak.what.indexOf(': ')
  if (leak.kind !== 'module' || colon < 0) return false
  return !leak.what.slice(colon + 2).includes('.') && (leak.before === '(absent)' || !collectionOf(leak.before))
}

/** `src/settings.ts: settings.locale`: the export's property restored; a top-level Map/Set/array refilled; a prototype's property put back. */
function moduleCandidates(leak: Leak, saved: Saver): Candidate[] {
  const colon = leak.what.indexOf(': ')
  const module = leak.what.slice(0, colon)
  const parts = leak.what.slice(colon + 2).split('.')
  if (colon < 0 || !parts.every(isIdentifier)) return []
  const collection = leak.before === '(absent)' ? undefined : collectionOf(leak.before)
  const prototype = parts[1] === 'prototype'
  const kind: RemedyKind = prototype ? 'restore-prototype' : 'restore-export'
  return [
    saved(kind, `${parts.join('.')} of ${module}`, (c) => {
      const root = c.exported(module, parts[0]!)
      if (!root) return `${parts[0]} of ${module} cannot be imported into the polluter's file`
      const target = [root, ...parts.slice(1)].join('.')
      if (collection) return refill(collection, target)
      if (parts.length === 1)
        return `${parts[0]} is a top-level binding of ${module} (an exported let, function or class), which only its own module can assign`
      return property(c, { owner: [root, ...parts.slice(1, -1)].join('.'), key: parts.at(-1)! })
    }),
  ]
}

function processCandidates(leak: Leak, saved: Saver): Candidate[] {
  if (leak.what === 'process.cwd()')
    return [saved('restore-process', 'the working folder', () => ({ save: 'process.cwd()', restore: [[0, 'process.chdir(saved);']] }))]
  if (leak.what === 'process.exitCode')
    return [saved('restore-process', 'process.exitCode', () => ({ save: 'process.exitCode', restore: [[0, 'process.exitCode = saved;']] }))]
  const event = /^process '(.+)' listeners$/.exec(leak.what)?.[1]
  if (!event) return []
  return [
    saved('restore-process', `the process '${event}' listeners`, (c) => ({
      save: `process.listeners(${c.q(event)})`,
      restore: [
        [0, `for (const listener of process.listeners(${c.q(event)})) if (!saved.includes(listener)) process.removeListener(${c.q(event)}, listener);`],
      ],
    })),
  ]
}

function domCandidates(leak: Leak, saved: Saver): Candidate[] {
  if (leak.what === 'document.body')
    return [saved('restore-global', 'document.body', () => ({ save: 'document.body.innerHTML', restore: [[0, 'document.body.innerHTML = saved;']] }))]
  const storage = /^(localStorage|sessionStorage)\['(.*)'\]$/.exec(leak.what)
  if (!storage || storage[2] === '(hidden)') return []
  const [, name, key] = storage
  return [
    saved('restore-global', leak.what, (c) => ({
      save: `${name}.getItem(${c.q(key!)})`,
      restore: [
        [0, `if (saved === null) ${name}.removeItem(${c.q(key!)});`],
        [0, `else ${name}.setItem(${c.q(key!)}, saved);`],
      ],
    })),
  ]
}

/** A file the polluter left: removed after it (its bytes put back when it was there before). */
function fileCandidates(leak: Leak, hook: HookMaker, saved: Saver): Candidate[] {
  if (leak.before === '(absent)') {
    return [
      hook('remove-file', `remove ${leak.what} after each test`, (c) => {
        const url = c.fileUrl(leak.what)
        if (!url) return `${leak.what} cannot be named from the polluter's file`
        return [
          [0, `${c.vitest(`after${c.each}`)}(() => {`],
          [1, `${c.fs('rmSync')}(${url}, { force: true });`],
          [0, '});'],
        ]
      }),
    ]
  }
  return [
    saved('remove-file', leak.what, (c) => {
      const url = c.fileUrl(leak.what)
      if (!url) return `${leak.what} cannot be named from the polluter's file`
      return { save: `${c.fs('readFileSync')}(${url})`, restore: [[0, `${c.fs('writeFileSync')}(${url}, saved);`]] }
    }),
  ]
}
