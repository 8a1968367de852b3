// A switch set in the Vitest config that ran the test, where its literal is: `export default
// defineConfig({ … })`, a function returning one, a variable exported later, the literal inside
// `mergeConfig(base, defineConfig({ … }))`, and for a named project the inline project of
// `test.projects` with that name. The switch goes first in the `test` block (a `test` block is
// added when there is none), so no other line changes.
import type * as t from '@babel/types'
import { indentAt, lineStart, type Source, type Splice, startWithComments } from './source.js'

/** The config's text with every switch set to `true`, or why it cannot be written. */
export function setConfigSwitches(source: Source, project: string | undefined, switches: readonly string[]): { splices: Splice[] } | { why: string } {
  const root = configLiteral(source)
  if (!root) return { why: `no config object literal found in ${source.path}` }
  let target = root
  if (project) {
    const projects = propertyOf(propertyValue(root, 'test'), 'projects') ?? propertyOf(propertyValue(root, 'test'), 'workspace')
    if (projects?.value.type === 'ArrayExpression') {
      const named = projects.value.elements
        .map((e) => (e && e.type !== 'SpreadElement' ? unwrap(source, e) : undefined))
        .find((e) => e && nameOf(e) === project)
      if (!named) return { why: `project '${project}' is not an inline project of ${source.path}` }
      target = named
    }
  }
  const test = propertyValue(target, 'test')
  const splices: Splice[] = []
  if (!test) splices.push(firstProperty(source, target, `test: { ${switches.map((s) => `${s}: true`).join(', ')} }`))
  else {
    for (const name of switches) {
      const existing = propertyOf(test, name)
      if (!existing) splices.push(firstProperty(source, test, `${name}: true`))
      else if (!(existing.value.type === 'BooleanLiteral' && existing.value.value))
        splices.push({ start: existing.value.start!, end: existing.value.end!, text: 'true' })
    }
  }
  if (!splices.length) return { why: `${switches.join(', ')} already set in ${source.path}` }
  return { splices }
}

/** `text` as an object's first property, on its own line when the object spreads over lines. */
function firstProperty(source: Source, object: t.ObjectExpression, text: string): Splice {
  const { code, style } = source
  const first = object.properties[0]
  if (!first) return { start: object.start! + 1, end: object.end! - 1, text: ` ${text} ` }
  const multiline = code.slice(object.start!, first.start!).includes('\n')
  if (!multiline) return { start: first.start!, text: `${text}, ` }
  return { start: lineStart(code, startWithComments(first)), text: `${indentAt(code, first.start!)}${text},${style.eol}` }
}

/** The object the config file exports, through the wrappers Vitest configs use. */
function configLiteral(source: Source): t.ObjectExpression | undefined {
  for (const statement of source.program.body) {
    if (statement.type === 'ExportDefaultDeclaration') return unwrap(source, statement.declaration as t.Node)
    if (
      statement.type === 'ExpressionStatement' &&
      statement.expression.type === 'AssignmentExpression' &&
      source.code.slice(statement.expression.left.start!, statement.expression.left.end!) === 'module.exports'
    )
      return unwrap(source, statement.expression.right)
  }
  return undefined
}

const DEFINE = /^(defineConfig|defineProject|defineWorkspace)$/

/** The object literal an expression stands for: `defineConfig(x)`, `mergeConfig(a, b)` (the last literal), `() => x`, a variable, `x as T`. */
function unwrap(source: Source, node: t.Node, depth = 0): t.ObjectExpression | undefined {
  if (depth > 8) return undefined
  const next = (n: t.Node | null | undefined) => (n ? unwrap(source, n, depth + 1) : undefined)
  switch (node.type) {
    case 'ObjectExpression':
      return node
    case 'TSAsExpression':
    case 'TSSatisfiesExpression':
    case 'ParenthesizedExpression':
    case 'TSNonNullExpression':
      return next(node.expression)
    case 'CallExpression': {
      const callee = node.callee.type === 'Identifier' ? node.callee.name : undefined
      if (callee && DEFINE.test(callee)) return next(node.arguments[0] as t.Node)
      if (callee === 'mergeConfig')
        return [...node.arguments]
          .reverse()
          .map((a) => next(a as t.Node))
          .find(Boolean)
      return undefined
    }
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
    case 'FunctionDeclaration':
      if (node.body.type !== 'BlockStatement') return next(node.body)
      return next(node.body.body.find((s): s is t.ReturnStatement => s.type === 'ReturnStatement')?.argument)
    case 'Identifier': {
      for (const statement of source.program.body) {
        const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement
        if (declaration?.type === 'VariableDeclaration')
          for (const d of declaration.declarations) if (d.id.type === 'Identifier' && d.id.name === node.name) return next(d.init)
        if (declaration?.type === 'FunctionDeclaration' && declaration.id?.name === node.name) return next(declaration)
      }
      return undefined
    }
    default:
      return undefined
  }
}

function propertyOf(object: t.ObjectExpression | undefined, name: string): (t.ObjectProperty & { value: t.Expression }) | undefined {
  return object?.properties.find(
    (p): p is t.ObjectProperty & { value: t.Expression } =>
      p.type === 'ObjectProperty' &&
      !p.computed &&
      ((p.key.type === 'Identifier' && p.key.name === name) || (p.key.type === 'StringLiteral' && p.key.value === name)),
  )
}

function propertyValue(object: t.ObjectExpression | undefined, name: string): t.ObjectExpression | undefined {
  const value = propertyOf(object, name)?.value
  return value?.type === 'ObjectExpression' ? value : undefined
}

/** An inline project's name: `test.name`, as a string or `{ label }`. */
function nameOf(project: t.ObjectExpression): string | undefined {
  const name = propertyOf(propertyValue(project, 'test'), 'name')?.value
  if (name?.type === 'StringLiteral') return name.value
  const label = name?.type === 'ObjectExpression' ? propertyOf(name, 'label')?.value : undefined
  return label?.type === 'StringLiteral' ? label.value : undefined
}
