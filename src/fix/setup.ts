// A brittle test (it passes only after a state setter) given its own setup: the setter's
// assignment of the state the diagnosis named (`process.env.LOCALE = 'de'`, `settings.locale =
// 'de'`) written into a beforeEach of the brittle test's innermost describe, after saving the old
// value, which is put back after each test. Only an assignment that can be said as code outside the
// setter: a top-level statement of its body whose value uses none of its locals (and, from another
// file, no names at all). Anything else (a call that sets it up inside a library) gets no patch.
import type * as t from '@babel/types'
import type { Leak } from '../core/model.js'
import { readText, splitId, titleOf as title } from './input.js'
import { blocksOf, findBlock } from './locate.js'
import { type Candidate, type CodeContext, restoreCandidate } from './remedies.js'
import { moduleImport } from './render.js'
import { declaredNames, identifiersOf, isIdentifier, nodeLines, parseSource, type Source } from './source.js'
import type { PatchInput } from './types.js'
import { isAbsolute, join } from 'node:path'

/** One candidate per leak the setter set up; empty for a leak no assignment of the setter explains. */
export function setupCandidates(leak: Leak, input: PatchInput): Candidate[] {
  const victim = input.finding.victim
  const value = leak.after === '(hidden)' ? '' : ` (${leak.after})`
  // `src/locale.ts: string.email` → `string.email of src/locale.ts`, as the restore says it.
  const colon = leak.kind === 'module' ? leak.what.indexOf(': ') : -1
  const what = colon < 0 ? leak.what : `${leak.what.slice(colon + 2)} of ${leak.what.slice(0, colon)}`
  const hook = (_kind: Candidate['kind'], _summary: string, code: Extract<Candidate, { code: unknown }>['code']): Candidate => ({
    kind: 'describe-setup',
    summary: `set up ${what}${value} before each test, as '${title(leak.by)}' does, and put it back after`,
    code,
    by: victim,
  })
  return restoreCandidate(leak, hook, (c) => assignmentFor(leak, input, c))
}

/** `target = value` as the setter writes it, said in the victim's file; or why not. */
function assignmentFor(leak: Leak, input: PatchInput, c: CodeContext): Array<readonly [number, string]> | string {
  const setter = splitId(leak.by, input.project)
  const projectRoot = input.projectRoot ?? input.root
  const path = isAbsolute(setter.file) ? setter.file : join(projectRoot, setter.file)
  const text = readText(input, path)
  const source = text === undefined ? undefined : parseSource(path, text)
  const block = source && findBlock(blocksOf(source), setter.name, 'test')
  if (!source || block?.body?.type !== 'BlockStatement') return `'${title(leak.by)}' cannot be found in ${setter.file}`
  const targets = targetsIn(source, setter.file, leak, projectRoot)
  const statement = block.body.body.find(
    (s): s is t.ExpressionStatement & { expression: t.AssignmentExpression } =>
      s.type === 'ExpressionStatement' &&
      s.expression.type === 'AssignmentExpression' &&
      s.expression.operator === '=' &&
      targets.includes(normalize(source.code, s.expression.left)),
  )
  if (!statement) return `'${title(leak.by)}' sets ${leak.what} up in a way that cannot be said as one assignment`
  const value = statement.expression.right
  const locals = new Set(declaredNames(block.body.body))
  const names = identifiersOf(value)
  const sameFile = setter.file === splitId(input.finding.victim, input.project).file
  if (names.some((n) => locals.has(n)) || (!sameFile && names.some((n) => n !== 'undefined')))
    return `the value '${title(leak.by)}' gives ${leak.what} depends on its own code`
  const target = targetFor(leak, c)
  if (!target) return `${leak.what} cannot be reached from the test's file`
  const lines = nodeLines(source.code, value)
  lines[0] = `${target} = ${lines[0]}`
  lines[lines.length - 1] = `${lines.at(-1)};`
  return lines.map((line) => [0, line] as const)
}

/** How the setter's file writes the leak's target, normalised (`process.env.X`, `settings.locale`). */
function targetsIn(source: Source, file: string, leak: Leak, root: string): string[] {
  if (leak.kind === 'env') return [leak.what]
  if (leak.kind === 'global' && leak.what.startsWith('globalThis.')) {
    const rest = leak.what.slice('globalThis.'.length)
    return ['globalThis', 'window', 'global', 'self'].map((g) => `${g}.${rest}`)
  }
  if (leak.kind !== 'module') return []
  const colon = leak.what.indexOf(': ')
  const [first, ...rest] = leak.what.slice(colon + 2).split('.')
  const found = moduleImport(source, file, leak.what.slice(0, colon), root)
  if (!found || !first) return []
  const local = found.namespace
    ? `${found.namespace}.${first}`
    : (source.program.body.flatMap((s) =>
        s.type === 'ImportDeclaration' && s.source.value === found.specifier
          ? s.specifiers.flatMap((sp) =>
              sp.type === 'ImportSpecifier' && (sp.imported.type === 'Identifier' ? sp.imported.name : sp.imported.value) === first ? [sp.local.name] : [],
            )
          : [],
      )[0] ?? undefined)
  return local && rest.length ? [[local, ...rest].join('.')] : []
}

/** The target as the victim's file writes it. */
function targetFor(leak: Leak, c: CodeContext): string | undefined {
  if (leak.kind === 'env') {
    const name = leak.what.slice('process.env.'.length)
    return isIdentifier(name) ? leak.what : `process.env[${c.q(name)}]`
  }
  if (leak.kind === 'global') return leak.what.split('.').every(isIdentifier) ? leak.what : undefined
  if (leak.kind !== 'module') return undefined
  const colon = leak.what.indexOf(': ')
  const [first, ...rest] = leak.what.slice(colon + 2).split('.')
  if (!first || !rest.length || ![first, ...rest].every(isIdentifier)) return undefined
  const root = c.exported(leak.what.slice(0, colon), first)
  return root ? [root, ...rest].join('.') : undefined
}

/** `process.env['X']` → `process.env.X`, spaces out. */
function normalize(code: string, node: t.Node): string {
  return code
    .slice(node.start!, node.end!)
    .replace(/\s+/g, '')
    .replace(/\[(['"])([^'"]+)\1\]/g, '.$2')
}
