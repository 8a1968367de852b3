// A brittle test whose setter sets the state up by a call (yup's `setLocale(dict)`, which writes
// into the exported locale object): the call, with the setter's own declarations it uses, repeated
// in the brittle test (in a beforeEach of its describe when it is the only test there, else at the
// start of its body, so its siblings keep the state they expect), the state saved before and put
// back after. When the setter's change also breaks other tests (`undo`), the patch restores it
// after the setter too: the two edits are one remedy, verified together.
import { isAbsolute, join, posix } from 'node:path'
import type * as t from '@babel/types'
import type { Leak } from '../core/model.js'
import type { Lines } from './hooks.js'
import { readText, splitId, titleOf as title } from './input.js'
import { type Block, blocksOf, findBlock } from './locate.js'
import { type Candidate, type CodeContext, restoreCandidate } from './remedies.js'
import { placeText, renderHooks } from './render.js'
import { contains, declaredNames, identifiersOf, nodeLines, parseSource, type Source, walk } from './source.js'
import type { PatchInput, Remedy } from './types.js'

type HookCandidate = Extract<Candidate, { code: unknown }>

/** The setter's statements to repeat, read from its file, with the imports they use. */
interface SetterCode {
  source: Source
  file: string
  statements: t.Statement[]
  /** Names the statements read from the setter file's imports: local name → import. */
  imports: Map<string, { specifier: string; imported: string }>
  /** Names declared by the statements themselves. */
  declared: string[]
}

/**
 * The remedy for a brittle test whose setter's change no assignment says: its setup repeated where
 * it runs, and (with `undo`, the leaks that break other tests) the change restored after the
 * setter; or why not.
 */
export function callSetupRemedy(cause: readonly Leak[], input: PatchInput, undo: readonly Leak[] = []): Remedy | { why: string } {
  const setters = [...new Set(cause.map((l) => l.by))]
  if (setters.length !== 1) return { why: `the state is set up by ${setters.length} tests, not one call of one` }
  const setter = setters[0]!
  const code = setterCode(setter, cause, input)
  if (typeof code === 'string') return { why: code }
  const call = code.statements.at(-1)!
  const callText = code.source.code.slice(call.start!, call.end!).replace(/\s*;?\s*$/, '')
  const what = cause.map((l) => whatOf(l)).join(', ')
  const setup: HookCandidate = {
    kind: 'call-setup',
    summary: `set up ${what} in '${title(input.finding.victim)}' by repeating '${title(setter)}'s ${oneLine(callText)}, and put it back after`,
    by: input.finding.victim,
    code: (c) => setupHook(c, code, cause, input),
  }
  const restores: HookCandidate[] = []
  for (const leak of undo) {
    const [restore] = restoreCandidate(leak, (kind, summary, hookCode) => ({ kind, summary, code: hookCode, by: leak.by }))
    if (!restore || !('code' in restore)) return { why: `no code can undo ${leak.what} after '${title(leak.by)}'` }
    restores.push(restore)
  }
  const rendered = renderHooks([setup, ...restores], input)
  if ('why' in rendered) return rendered
  const after = restores.length
    ? `; and save ${[...new Set(undo.map(whatOf))].join(', ')} before each test and put it back after in ${[
        ...new Set(rendered.placed.filter((p) => p.hook !== setup).map((p) => placeText(p.file, p.describe))),
      ].join(', ')}`
    : ''
  return { kind: 'call-setup', summary: `${setup.summary}${after}`, edits: rendered.edits }
}

/** `string.email of src/locale.ts`, as the restores say it. */
function whatOf(leak: Leak): string {
  const colon = leak.kind === 'module' ? leak.what.indexOf(': ') : -1
  return colon < 0 ? leak.what : `${leak.what.slice(colon + 2)} of ${leak.what.slice(0, colon)}`
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat
}

/**
 * The setter's top-level calls of imported functions (not `expect`, not `vi`), with the
 * declarations of its own they use; or why they cannot be repeated elsewhere.
 */
function setterCode(setter: string, cause: readonly Leak[], input: PatchInput): SetterCode | string {
  const { file, name } = splitId(setter, input.project)
  const path = isAbsolute(file) ? file : join(input.projectRoot ?? input.root, file)
  const text = readText(input, path)
  const source = text === undefined ? undefined : parseSource(path, text)
  const block = source && findBlock(blocksOf(source), name, 'test')
  if (!source || block?.body?.type !== 'BlockStatement') return `'${title(setter)}' cannot be found in ${file}`
  const imports = importsOf(source)
  const body = block.body.body
  const calls = body.filter((s) => isImportedCall(s, imports))
  const what = cause.map((l) => l.what).join(', ')
  if (!calls.length) return `'${title(setter)}' sets ${what} up neither by one assignment nor by a call of an imported function`
  const picked = new Set<t.Statement>(calls)
  for (let changed = true; changed; ) {
    changed = false
    const used = new Set([...picked].flatMap((s) => identifiersOf(s)))
    for (const s of body)
      if (!picked.has(s) && s.type === 'VariableDeclaration' && declaredNames([s]).some((n) => used.has(n))) {
        picked.add(s)
        changed = true
      }
  }
  const statements = body.filter((s) => picked.has(s))
  const sameFile = file === splitId(input.finding.victim, input.project).file
  const why = closedOver(statements, body, block, source, setter, sameFile)
  if (why) return why
  const declared = declaredNames(statements)
  const usedImports = new Map(
    [...new Set(statements.flatMap(identifiersOf))].flatMap((n) => (imports.has(n) && !declared.includes(n) ? [[n, imports.get(n)!]] : [])),
  )
  return { source, file, statements, imports: usedImports, declared }
}

/**
 * Why the statements cannot run anywhere but in the setter: they read a variable of its own that
 * they do not declare (or one changed between its declaration and the call), a parameter of its
 * callback, a variable of a describe around it, a name of its file that is no import (from another file).
 */
function closedOver(
  statements: readonly t.Statement[],
  body: readonly t.Statement[],
  block: Block,
  source: Source,
  setter: string,
  sameFile: boolean,
): string | undefined {
  const declared = new Set(declaredNames(statements))
  const inner = boundInside(statements)
  const used = [...new Set(statements.flatMap(identifiersOf))].filter((n) => !declared.has(n) && !inner.has(n))
  const locals = new Set([...declaredNames(body), ...paramsOf(block.call)])
  const local = used.find((n) => locals.has(n))
  if (local) return `the call in '${title(setter)}' uses ${local}, a variable of that test it cannot take along`
  const last = body.indexOf(statements.at(-1)!)
  const changed = body.find((s, i) => i <= last && !statements.includes(s) && identifiersOf(s).some((n) => declared.has(n)))
  if (changed) {
    const name = identifiersOf(changed).find((n) => declared.has(n))!
    return `'${title(setter)}' uses ${name} on line ${changed.loc?.start.line ?? '?'} before its call, so the call cannot be repeated alone`
  }
  for (const describe of block.describes) {
    const names = describe.body?.type === 'BlockStatement' ? declaredNames(describe.body.body) : []
    const hit = used.find((n) => names.includes(n))
    if (hit) return `the call in '${title(setter)}' uses ${hit}, a variable of describe '${describe.title}'`
  }
  const imports = importsOf(source)
  const topLevel = new Set(declaredNames(source.program.body.filter((s) => s.type === 'VariableDeclaration')))
  for (const s of source.program.body) if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) topLevel.add(s.id.name)
  const own = sameFile ? undefined : used.find((n) => topLevel.has(n) && !imports.has(n))
  if (own) return `the call in '${title(setter)}' uses ${own}, declared in its file, not imported`
  if (statements.some((s) => contains(s, 'ReturnStatement') || contains(s, 'ThisExpression')))
    return `the call in '${title(setter)}' depends on its test's function`
  return undefined
}

/** Names bound inside the statements' own functions (parameters, inner declarations). */
function boundInside(statements: readonly t.Statement[]): Set<string> {
  const names = new Set<string>()
  for (const s of statements)
    walk(s, (n) => {
      if (n.type === 'ArrowFunctionExpression' || n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration')
        for (const p of n.params) for (const name of patternNames(p)) names.add(name)
      if (n.type === 'VariableDeclarator' && s.type !== 'VariableDeclaration') for (const name of patternNames(n.id)) names.add(name)
    })
  return names
}

function paramsOf(call: t.CallExpression): string[] {
  const fn = call.arguments.find((a) => a.type === 'ArrowFunctionExpression' || a.type === 'FunctionExpression')
  return fn ? fn.params.flatMap(patternNames) : []
}

function patternNames(node: t.Node): string[] {
  const names: string[] = []
  walk(node, (n, parent) => {
    if (n.type !== 'Identifier') return
    if (parent?.type === 'ObjectProperty' && parent.key === n && parent.value !== n) return
    if (parent?.type === 'TSTypeAnnotation' || parent?.type === 'TSTypeReference') return
    names.push(n.name)
  })
  return names
}

/** The file's value imports: local name → specifier and imported name (`default`, `*`). */
function importsOf(source: Source): Map<string, { specifier: string; imported: string }> {
  const map = new Map<string, { specifier: string; imported: string }>()
  for (const s of source.program.body) {
    if (s.type !== 'ImportDeclaration' || s.importKind === 'type') continue
    for (const sp of s.specifiers) {
      if (sp.type === 'ImportSpecifier' && sp.importKind === 'type') continue
      const imported =
        sp.type === 'ImportDefaultSpecifier'
          ? 'default'
          : sp.type === 'ImportNamespaceSpecifier'
            ? '*'
            : sp.imported.type === 'Identifier'
              ? sp.imported.name
              : sp.imported.value
      map.set(sp.local.name, { specifier: s.source.value, imported })
    }
  }
  return map
}

const NOT_SETUP = /^(vitest|@vitest\/.*|node:.*|assert|chai)$/

/** `setLocale(dict)`, `await store.init()`: a call whose callee starts at a name imported from outside the test runner. */
function isImportedCall(statement: t.Statement, imports: ReadonlyMap<string, { specifier: string }>): boolean {
  if (statement.type !== 'ExpressionStatement') return false
  const expression = statement.expression.type === 'AwaitExpression' ? statement.expression.argument : statement.expression
  if (expression.type !== 'CallExpression') return false
  let callee: t.Node = expression.callee
  while (callee.type === 'MemberExpression' || callee.type === 'CallExpression') callee = callee.type === 'MemberExpression' ? callee.object : callee.callee
  if (callee.type !== 'Identifier') return false
  const from = imports.get(callee.name)
  return from !== undefined && !NOT_SETUP.test(from.specifier)
}

/** The setup's code in the victim's file, and where it goes; or why it cannot be written there. */
function setupHook(c: CodeContext, code: SetterCode, cause: readonly Leak[], input: PatchInput): { lines: Lines; into: Block | undefined } | string {
  const victim = splitId(input.finding.victim, input.project)
  const blocks = blocksOf(c.source)
  const test = findBlock(blocks, victim.name, 'test')
  if (test?.body?.type !== 'BlockStatement') return `'${title(victim.name)}' cannot be found in ${victim.file}`
  const renames = importRenames(c, code, victim.file)
  if (typeof renames === 'string') return renames
  const setupLines = code.statements.flatMap((s) => statementLines(code.source, s, renames))
  const describe = test.describes.at(-1)
  const alone = blocks.filter((b) => b.kind === 'test' && (describe ? b.describes.includes(describe) : true)).length === 1
  const parts = cause.map((leak, k) => savedParts(leak, c, cause.length > 1 ? `saved${k + 1}` : 'saved'))
  const failed = parts.find((p): p is string => typeof p === 'string')
  if (failed !== undefined) return failed
  const saves = parts as Array<{ save: Lines; restore: Lines }>
  const async = code.statements.some((s) => contains(s, 'AwaitExpression'))
  if (alone) {
    return {
      lines: [
        [0, `${c.vitest('beforeEach')}(${async ? 'async ' : ''}() => {`],
        ...saves.flatMap((p) => p.save),
        ...setupLines,
        [1, 'return () => {'],
        ...saves.flatMap((p) => p.restore.map(([d, text]) => [d + 1, text] as const)),
        [1, '};'],
        [0, '});'],
      ],
      into: describe,
    }
  }
  // In the test itself: its siblings in the describe expect the state as it was.
  const fn = test.call.arguments.find((a) => a.type === 'ArrowFunctionExpression' || a.type === 'FunctionExpression')
  if (async && !(fn as t.ArrowFunctionExpression | undefined)?.async) return `the setter's call awaits, and '${title(victim.name)}' is not async`
  const taken = new Set([...code.declared, ...saves.map((_, k) => (saves.length > 1 ? `saved${k + 1}` : 'saved'))])
  const clash = identifiersOf(test.body).find((n) => taken.has(n))
  if (clash) return `'${title(victim.name)}' already uses the name ${clash}`
  return {
    lines: [
      ...saves.flatMap((p) => [
        ...p.save.map(([d, text]) => [d - 1, text] as const),
        [0, `${c.vitest('onTestFinished')}(() => {`] as const,
        ...p.restore,
        [0, '});'] as const,
      ]),
      ...setupLines.map(([d, text]) => [d - 1, text] as const),
    ],
    into: test,
  }
}

/**
 * The save and restore of one leak, as the restore remedies write them (`restoreCandidate`), with
 * the saved value under `name`: the save at depth 1, the restore at depth 1.
 */
function savedParts(leak: Leak, c: CodeContext, name: string): { save: Lines; restore: Lines } | string {
  const [candidate] = restoreCandidate(
    leak,
    (kind, summary, code) => ({ kind, summary, code, by: leak.by }),
    () => [[0, SETUP]],
  )
  if (!candidate || !('code' in candidate)) return `no code can put ${leak.what} back`
  // Its beforeEach line is not written: only what it saves and restores is taken.
  const quiet: CodeContext = { ...c, vitest: (n) => (n === `before${c.each}` ? n : c.vitest(n)) }
  const lines = candidate.code(quiet)
  if (typeof lines === 'string') return lines
  if (!Array.isArray(lines)) return `no code can put ${leak.what} back`
  const setupAt = lines.findIndex(([, text]) => text === SETUP)
  const returnAt = lines.findIndex(([depth, text]) => depth === 1 && text === 'return () => {')
  if (setupAt < 0 || returnAt < 0) return `no code can put ${leak.what} back`
  const rename = (text: string) => text.replace(/\bsaved\b/g, name)
  return {
    save: lines.slice(1, setupAt).map(([d, text]) => [d, rename(text)] as const),
    restore: lines.slice(returnAt + 1, -2).map(([d, text]) => [d - 1, rename(text)] as const),
  }
}

const SETUP = '\u0000setup'

/** Each import the setter's statements use, as the victim's file names it (imported when needed); or why one cannot be. */
function importRenames(c: CodeContext, code: SetterCode, victimFile: string): Map<string, string> | string {
  const renames = new Map<string, string>()
  if (code.file === victimFile) return renames
  for (const [local, from] of code.imports) {
    let name: string | undefined
    if (from.specifier.startsWith('.')) {
      const module = posix.join(posix.dirname(code.file), from.specifier)
      name = from.imported === '*' ? undefined : c.exported(module, from.imported)
    }
    if (!name) return `${local} (from '${from.specifier}' in ${code.file}) cannot be imported into ${victimFile}`
    if (name !== local) renames.set(local, name)
  }
  return renames
}

/** A statement's lines at depth 1, its import names as the victim's file has them. */
function statementLines(source: Source, statement: t.Statement, renames: ReadonlyMap<string, string>): Lines {
  const start = statement.start!
  let text = source.code.slice(start, statement.end!)
  if (renames.size) {
    const at: Array<{ from: number; to: number; name: string }> = []
    walk(statement, (n, parent) => {
      if (n.type !== 'Identifier' || !renames.has(n.name)) return
      if (parent?.type === 'MemberExpression' && parent.property === n && !parent.computed) return
      if (parent?.type === 'ObjectProperty' && parent.key === n && !parent.computed) return
      at.push({ from: n.start! - start, to: n.end! - start, name: renames.get(n.name)! })
    })
    for (const r of at.sort((a, b) => b.from - a.from)) text = text.slice(0, r.from) + r.name + text.slice(r.to)
  }
  const lines = nodeLines(source.code, statement, `${text.replace(/\s*;?\s*$/, '')};`)
  return lines.map((line) => [1, line] as const)
}
