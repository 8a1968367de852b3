// What a test's own code does, read from its file: the statements of a test's body, found by its
// describe chain and title. Parsed with the parser Vite ships (`parseSync`, oxc, Vite 8+): Vite
// comes with Vitest, so this adds no dependency and no parser of our own. Without it (an older
// Vite) or on a file it cannot parse, nothing is read, and callers say that no fix was found.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { NAME_SEPARATOR } from '../names.js'

/** An ESTree node as oxc gives it: offsets into the source. */
export interface AstNode {
  type: string
  start: number
  end: number
  [key: string]: unknown
}

export type Parse = (file: string, code: string, options: { lang: 'ts' | 'tsx' | 'js' | 'jsx' }) => { program: AstNode; errors: unknown[] }

/** Vite's `parseSync`, as the project's Vitest resolves Vite; undefined when it has none. */
export async function loadParser(root: string): Promise<Parse | undefined> {
  try {
    const vitest = createRequire(join(root, 'package.json')).resolve('vitest/package.json')
    const vite = (await import(pathToFileURL(createRequire(vitest).resolve('vite')).href)) as { parseSync?: unknown }
    return typeof vite.parseSync === 'function' ? (vite.parseSync as Parse) : undefined
  } catch {
    return undefined
  }
}

const TEST = /^(test|it)$/
const DESCRIBE = /^(describe|suite)$/

/** A test call found in a file: its flakeseed name (without a repeat suffix) and its callback. */
interface TestCall {
  name: string
  body: AstNode | undefined
}

/** The statements a test's body runs, as one-line source text; undefined when it cannot be read. */
export function testStatements(parse: Parse, file: string, code: string, name: string): string[] | undefined {
  const body = findTests(parse, file, code)?.find((t) => t.name === name.replace(/ \(\d+\)$/, ''))?.body
  if (!body) return undefined
  const statements = body.type === 'BlockStatement' ? (body.body as AstNode[]) : [body]
  return statements.map((s) => code.slice(s.start, s.end).replace(/\s*\n\s*/g, ' '))
}

/** `testStatements` for a file on disk (relative to `root`). */
export function readTestStatements(parse: Parse, root: string, file: string, name: string): string[] | undefined {
  try {
    return testStatements(parse, file, readFileSync(join(root, file), 'utf8'), name)
  } catch {
    return undefined
  }
}

function findTests(parse: Parse, file: string, code: string): TestCall[] | undefined {
  const lang = /\.tsx$/.test(file) ? 'tsx' : /\.[cm]?ts$/.test(file) ? 'ts' : /\.jsx$/.test(file) ? 'jsx' : 'js'
  let program: AstNode
  try {
    program = parse(file, code, { lang }).program
  } catch {
    return undefined
  }
  const found: TestCall[] = []
  const visit = (node: unknown, chain: readonly string[]): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, chain))
    if (!node || typeof node !== 'object' || typeof (node as AstNode).type !== 'string') return
    const call = callOf(node as AstNode)
    if (call && TEST.test(call.callee)) found.push({ name: [...chain, call.title].join(NAME_SEPARATOR), body: call.body })
    else if (call && DESCRIBE.test(call.callee)) return visit(call.body, [...chain, call.title])
    for (const [key, value] of Object.entries(node)) if (key !== 'type' && typeof value === 'object') visit(value, chain)
  }
  visit(program, [])
  return found
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
