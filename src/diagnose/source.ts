// What a test's own code does, read from its file: the statements of a test's body, found by its
// describe chain and title. Parsed with the parser Vite ships (`parseSync`, oxc, Vite 8+; before
// it, Vite's `parseAst` over the project's own TypeScript's transpiled output): Vite comes with
// Vitest, so this adds no dependency and no parser of our own. Without either, or on a file it
// cannot parse, nothing is read, and callers say that no fix was found.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { disambiguate, NAME_SEPARATOR } from '../core/names.js'

/** An ESTree node as oxc gives it: offsets into the source. */
export interface AstNode {
  type: string
  start: number
  end: number
  [key: string]: unknown
}

/** A parser: the program, and the code its offsets point into when that is not `code` (transpiled first). */
export type Parse = (file: string, code: string, options: { lang: 'ts' | 'tsx' | 'js' | 'jsx' }) => { program: AstNode; errors: unknown[]; code?: string }

/** The parts of TypeScript's API the fallback parser uses. */
interface TypeScriptApi {
  transpileModule(code: string, options: { fileName: string; compilerOptions: Record<string, unknown> }): { outputText: string }
  ScriptTarget: { ESNext: unknown }
  ModuleKind: { ESNext: unknown }
  JsxEmit: { React: unknown }
}

/**
 * Vite's `parseSync`, as the project's Vitest resolves Vite; before Vite 8 (no `parseSync`), Vite's
 * `parseAst` (JavaScript only) over the project's own TypeScript's `transpileModule` output.
 * Undefined when the project has neither.
 */
export async function loadParser(root: string): Promise<Parse | undefined> {
  try {
    const project = createRequire(join(root, 'package.json'))
    const vitest = project.resolve('vitest/package.json')
    const vite = (await import(pathToFileURL(createRequire(vitest).resolve('vite')).href)) as { parseSync?: unknown; parseAst?: unknown }
    if (typeof vite.parseSync === 'function') return vite.parseSync as Parse
    if (typeof vite.parseAst !== 'function') return undefined
    const ts = project('typescript') as Partial<TypeScriptApi>
    return typeof ts.transpileModule === 'function' ? transpilingParser(vite.parseAst as (code: string) => AstNode, ts as TypeScriptApi) : undefined
  } catch {
    return undefined
  }
}

/** A JavaScript parser made to read TypeScript and JSX: transpiled first, offsets into the output. */
export function transpilingParser(parseAst: (code: string) => AstNode, ts: TypeScriptApi): Parse {
  return (file, code, { lang }) => {
    const compilerOptions = { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext, jsx: ts.JsxEmit.React }
    const js = lang === 'js' ? code : ts.transpileModule(code, { fileName: file, compilerOptions }).outputText
    return { program: parseAst(js), errors: [], code: js }
  }
}

const TEST = /^(test|it)$/
const DESCRIBE = /^(describe|suite)$/

/** Variables a describe's body (or the file) declares with `let`/`var`: shared by its tests. */
interface Scope {
  /** The describe's title; '' for the file. */
  describe: string
  names: Set<string>
}

/** A test call found in a file: its flakeseed name (without a repeat suffix), its callback, the scopes it sees. */
interface TestCall {
  name: string
  /** The whole call, `test('title', () => { … })`. */
  node: AstNode
  body: AstNode | undefined
  scopes: readonly Scope[]
}

/** A shared variable a test reads, declared in a describe (or the file), and the tests that assign it. */
export interface ScopeNeed {
  variable: string
  describe: string
  assignedBy: string[]
}

/** The statements a test's body runs, as one-line source text; undefined when it cannot be read. */
export function testStatements(parse: Parse, file: string, code: string, name: string): string[] | undefined {
  const found = findTests(parse, file, code)
  const body = found?.tests.find((t) => t.name === name.replace(/ \(\d+\)$/, ''))?.body
  if (!found || !body) return undefined
  const statements = body.type === 'BlockStatement' ? (body.body as AstNode[]) : [body]
  return statements.map((s) => found.code.slice(s.start, s.end).replace(/\s*\n\s*/g, ' '))
}

/**
 * Every test of a file with its call's source text (names as the runner gives them, repeats with
 * ` (k)`): what `hunt` compares between the base and the change to tell new and changed tests.
 * Undefined when the file cannot be parsed.
 */
export function testSources(parse: Parse, file: string, code: string): Array<{ name: string; text: string }> | undefined {
  const found = findTests(parse, file, code)
  if (!found) return undefined
  const names = disambiguate(found.tests.map((t) => t.name))
  return found.tests.map((t, i) => ({ name: names[i]!, text: found.code.slice(t.node.start, t.node.end) }))
}

/** `testStatements` for a file on disk (relative to `root`). */
export function readTestStatements(parse: Parse, root: string, file: string, name: string): string[] | undefined {
  try {
    return testStatements(parse, file, readFileSync(join(root, file), 'utf8'), name)
  } catch {
    return undefined
  }
}

/**
 * The `let`/`var` variables of an enclosing describe (or the file) that the test `name` reads and
 * that other tests of that scope assign: state shared through the file, which no probe can undo.
 */
export function scopeNeeds(parse: Parse, file: string, code: string, name: string): ScopeNeed[] | undefined {
  const tests = findTests(parse, file, code)?.tests
  const test = tests?.find((t) => t.name === name.replace(/ \(\d+\)$/, ''))
  if (!tests || !test?.body) return undefined
  const read = identifiers(test.body)
  const needs: ScopeNeed[] = []
  for (const variable of read) {
    const scope = nearest(test.scopes, variable)
    if (!scope) continue
    const assignedBy = tests.filter((t) => t !== test && nearest(t.scopes, variable) === scope && t.body && assigns(t.body, variable)).map((t) => t.name)
    if (assignedBy.length) needs.push({ variable, describe: scope.describe, assignedBy })
  }
  return needs
}

/** The innermost scope that declares `variable` (what the name means there). */
function nearest(scopes: readonly Scope[], variable: string): Scope | undefined {
  return [...scopes].reverse().find((s) => s.names.has(variable))
}

/** `scopeNeeds` for a file on disk (relative to `root`). */
export function readScopeNeeds(parse: Parse, root: string, file: string, name: string): ScopeNeed[] | undefined {
  try {
    return scopeNeeds(parse, file, readFileSync(join(root, file), 'utf8'), name)
  } catch {
    return undefined
  }
}

/** The test calls of a file, and the code their offsets point into. */
function findTests(parse: Parse, file: string, code: string): { tests: TestCall[]; code: string } | undefined {
  const lang = /\.tsx$/.test(file) ? 'tsx' : /\.[cm]?ts$/.test(file) ? 'ts' : /\.jsx$/.test(file) ? 'jsx' : 'js'
  let program: AstNode
  let parsed = code
  try {
    const result = parse(file, code, { lang })
    program = result.program
    parsed = result.code ?? code
  } catch {
    return undefined
  }
  const found: TestCall[] = []
  const visit = (node: unknown, chain: readonly string[], scopes: readonly Scope[]): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n, chain, scopes)
      return
    }
    if (!node || typeof node !== 'object' || typeof (node as AstNode).type !== 'string') return
    const call = callOf(node as AstNode)
    if (call && TEST.test(call.callee)) found.push({ name: [...chain, call.title].join(NAME_SEPARATOR), node: node as AstNode, body: call.body, scopes })
    else if (call && DESCRIBE.test(call.callee)) {
      visit(call.body, [...chain, call.title], [...scopes, { describe: call.title, names: declared(call.body) }])
      return
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'type' && typeof value === 'object') visit(value, chain, scopes)
  }
  visit(program, [], [{ describe: '', names: declared(program) }])
  return { tests: found, code: parsed }
}

/** Names a block declares with `let` or `var` at its own level. */
function declared(block: AstNode | undefined): Set<string> {
  const names = new Set<string>()
  for (const statement of (block?.body as AstNode[] | undefined) ?? []) {
    if (statement.type !== 'VariableDeclaration' || statement.kind === 'const') continue
    for (const d of statement.declarations as AstNode[]) if ((d.id as AstNode).type === 'Identifier') names.add((d.id as AstNode).name as string)
  }
  return names
}

/** Every name a body refers to (not property names). */
function identifiers(body: AstNode): Set<string> {
  const names = new Set<string>()
  walk(body, (node, parent) => {
    if (node.type !== 'Identifier') return
    if (parent?.type === 'MemberExpression' && parent.property === node && !parent.computed) return
    if (parent?.type === 'Property' && parent.key === node && !parent.computed) return
    names.add(node.name as string)
  })
  return names
}

/** The body assigns `name` (`name = …`, `name += …`, `name++`). */
function assigns(body: AstNode, name: string): boolean {
  let found = false
  walk(body, (node) => {
    const target = node.type === 'AssignmentExpression' ? node.left : node.type === 'UpdateExpression' ? node.argument : undefined
    if ((target as AstNode | undefined)?.type === 'Identifier' && (target as AstNode).name === name) found = true
  })
  return found
}

function walk(node: unknown, visit: (node: AstNode, parent: AstNode | undefined) => void, parent?: AstNode): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit, parent)
    return
  }
  if (!node || typeof node !== 'object' || typeof (node as AstNode).type !== 'string') return
  visit(node as AstNode, parent)
  for (const [key, value] of Object.entries(node)) if (key !== 'type' && typeof value === 'object') walk(value, visit, node as AstNode)
}

/** `test('title', () => { … })`, `it.only(…)`, `describe.each`-less forms: callee, title and the callback's body. */
function callOf(node: AstNode): { callee: string; title: string; body: AstNode | undefined } | undefined {
  if (node.type !== 'CallExpression') return undefined
  let callee = node.callee as AstNode
  if (callee.type === 'MemberExpression') callee = callee.object as AstNode
  if (callee.type !== 'Identifier') return undefined
  const [first, second] = node.arguments as AstNode[]
  const title = first && first.type === 'Literal' && typeof first.value === 'string' ? first.value : undefined
  if (title === undefined) return undefined
  const fn = second && (second.type === 'ArrowFunctionExpression' || second.type === 'FunctionExpression') ? second : undefined
  return { callee: callee.name as string, title, body: fn?.body as AstNode | undefined }
}
