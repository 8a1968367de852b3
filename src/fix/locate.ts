// Where a test or a describe is in its file, by its flakeseed name (describe chain and title joined
// by ` > `): the call, its callback's body, and the describes around it, so a hook can go into the
// innermost one (or the file's top level).
import { NAME_SEPARATOR } from '../core/names.js'
import type { Node, Source } from './source.js'
import type * as t from '@babel/types'

const TEST = /^(test|it)$/
const DESCRIBE = /^(describe|suite)$/
const HOOK = /^(beforeAll|beforeEach|afterAll|afterEach)$/

/** A `test`/`it` or `describe`/`suite` call with a literal title. */
export interface Block {
  kind: 'test' | 'describe'
  /** The flakeseed name, without a repeat suffix. */
  name: string
  title: string
  call: t.CallExpression
  /** The callback's body: a block for a `{ … }` callback, else its expression. */
  body: t.BlockStatement | t.Expression | undefined
  /** The describes it sits in, outermost first. */
  describes: Block[]
}

/** Every test and describe of a file, in source order. */
export function blocksOf(source: Source): Block[] {
  const found: Block[] = []
  const visit = (node: Node, describes: Block[]): void => {
    const call = callOf(node)
    let inner = describes
    if (call && (TEST.test(call.callee) || DESCRIBE.test(call.callee))) {
      const kind = TEST.test(call.callee) ? 'test' : 'describe'
      const block: Block = {
        kind,
        name: [...describes.map((d) => d.title), call.title].join(NAME_SEPARATOR),
        title: call.title,
        call: call.node,
        body: call.body,
        describes,
      }
      found.push(block)
      if (kind === 'describe') inner = [...describes, block]
    }
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith('Comments') || key === 'extra' || key === 'loc') continue
      if (Array.isArray(value)) for (const child of value) if (child && typeof child.type === 'string') visit(child as Node, inner)
      if (value && typeof value === 'object' && typeof (value as Node).type === 'string') visit(value as Node, inner)
    }
  }
  visit(source.program, [])
  return found
}

/**
 * The test or describe a flakeseed name (`a > b > title`, maybe ` (k)` for the k-th of that name)
 * means, of the wanted kind when given.
 */
export function findBlock(blocks: readonly Block[], name: string, kind?: Block['kind']): Block | undefined {
  const of = (n: string) => blocks.filter((b) => b.name === n && (!kind || b.kind === kind))
  const exact = of(name)
  if (exact.length) return exact[0]
  const repeat = / \((\d+)\)$/.exec(name)
  if (!repeat) return undefined
  const same = of(name.slice(0, repeat.index))
  return same[Number(repeat[1]) - 1] ?? same[0]
}

/** `test('title', fn)`, `it.only('title', opts, fn)`, `describe.concurrent(…)`: callee, title, the callback's body. */
function callOf(node: Node): { node: t.CallExpression; callee: string; title: string; body: Block['body'] } | undefined {
  if (node.type !== 'CallExpression') return undefined
  let callee: Node = node.callee
  while (callee.type === 'MemberExpression') callee = callee.object
  if (callee.type !== 'Identifier') return undefined
  const first = node.arguments[0]
  const title =
    first?.type === 'StringLiteral'
      ? first.value
      : first?.type === 'TemplateLiteral' && first.expressions.length === 0
        ? first.quasis[0]!.value.cooked
        : undefined
  if (title === undefined || title === null) return undefined
  const fn = node.arguments.slice(1).find((a) => a.type === 'ArrowFunctionExpression' || a.type === 'FunctionExpression')
  return { node, callee: callee.name, title, body: fn?.body as Block['body'] }
}

/** A statement that calls `test`/`describe`/a hook: where tests start in a block. */
export function isSuiteStatement(statement: Node): boolean {
  if (statement.type !== 'ExpressionStatement') return false
  let callee: Node | undefined = statement.expression.type === 'CallExpression' ? statement.expression.callee : undefined
  while (callee?.type === 'MemberExpression') callee = callee.object
  while (callee?.type === 'CallExpression') callee = callee.callee
  while (callee?.type === 'MemberExpression') callee = callee.object
  return callee?.type === 'Identifier' && (TEST.test(callee.name) || DESCRIBE.test(callee.name) || HOOK.test(callee.name))
}
