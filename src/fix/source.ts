// A source file as the patch writer reads it: parsed by Babel (TS, JS, JSX, TSX; offsets into the
// original text, which is what edits need), its code style (indentation, quotes, semicolons, line
// endings), and position-preserving edits: text inserted or replaced at offsets, nothing else moved.
import { parse } from '@babel/parser'
import type * as t from '@babel/types'

export type Node = t.Node

/** How a file writes code, read from the file itself. */
export interface Style {
  /** One level: `'  '`, `'    '` or `'\t'`. */
  indent: string
  quote: "'" | '"'
  semi: boolean
  eol: '\n' | '\r\n'
  /** How its tests' and hooks' callbacks are written: `() => {` or `function () {`. */
  callback: 'arrow' | 'function'
}

/** A parsed file: its text, its program and its style. */
export interface Source {
  path: string
  code: string
  program: t.Program
  style: Style
}

/** Parses a file by its extension; undefined when Babel cannot read it. */
export function parseSource(path: string, code: string): Source | undefined {
  const ts = /\.[cm]?tsx?$/.test(path)
  const jsx = /\.[jt]sx$/.test(path) || (!ts && /\.[cm]?js$/.test(path))
  try {
    const file = parse(code, {
      sourceType: /\.cjs$/.test(path) ? 'script' : 'module',
      plugins: [...(ts ? (['typescript', 'decorators-legacy'] as const) : []), ...(jsx ? (['jsx'] as const) : [])],
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowUndeclaredExports: true,
    })
    return { path, code, program: file.program, style: styleOf(code, file.program) }
  } catch {
    return undefined
  }
}

/** The file's style: the majority of what it already does. */
export function styleOf(code: string, program: t.Program): Style {
  let single = 0
  let double = 0
  let semi = 0
  let bare = 0
  let arrows = 0
  let functions = 0
  walk(program, (node) => {
    if (node.type === 'CallExpression' && SUITE_CALL.test(calleeName(node.callee)))
      for (const arg of node.arguments) {
        if (arg.type === 'ArrowFunctionExpression') arrows++
        if (arg.type === 'FunctionExpression') functions++
      }
    if (node.type === 'StringLiteral') {
      const raw = code[node.start!]
      if (raw === "'") single++
      else if (raw === '"') double++
    }
    if (/^(ExpressionStatement|VariableDeclaration|ImportDeclaration|ReturnStatement|ThrowStatement|ExportNamedDeclaration)$/.test(node.type)) {
      // An exported function or class ends with its body, not a semicolon.
      if (node.type === 'ExportNamedDeclaration' && node.declaration && node.declaration.type !== 'VariableDeclaration') return
      if (code[node.end! - 1] === ';') semi++
      else bare++
    }
  })
  return {
    indent: indentOf(code),
    quote: double > single ? '"' : "'",
    semi: semi >= bare,
    eol: code.includes('\r\n') ? '\r\n' : '\n',
    callback: functions > arrows ? 'function' : 'arrow',
  }
}

const SUITE_CALL = /^(describe|suite|test|it|beforeAll|beforeEach|afterAll|afterEach)$/

/** `describe` of `describe(…)`, `describe.only(…)`, `test.each(…)(…)`. */
function calleeName(callee: t.Node): string {
  let node: t.Node = callee
  while (node.type === 'MemberExpression' || node.type === 'CallExpression') node = node.type === 'MemberExpression' ? node.object : node.callee
  return node.type === 'Identifier' ? node.name : ''
}

/** The most common step between the indentation of a line and the next deeper one. */
function indentOf(code: string): string {
  const lines = code.split(/\r?\n/).filter((l) => l.trim() && !/^\s*\*/.test(l))
  let tabs = 0
  let spaces = 0
  const steps = new Map<number, number>()
  let previous = 0
  for (const line of lines) {
    const lead = /^[ \t]*/.exec(line)![0]
    if (lead.startsWith('\t')) tabs++
    else if (lead) spaces++
    const width = lead.startsWith('\t') ? 0 : lead.length
    if (!lead.startsWith('\t') && width > previous && width - previous <= 8) steps.set(width - previous, (steps.get(width - previous) ?? 0) + 1)
    previous = width
  }
  if (tabs > spaces) return '\t'
  const [best] = [...steps].sort((a, b) => b[1] - a[1] || a[0] - b[0])
  return ' '.repeat(best?.[0] ?? 2)
}

/** Visits every node (not comments), parents before children. */
export function walk(node: Node, visit: (node: Node, parent: Node | undefined) => void, parent?: Node): void {
  visit(node, parent)
  for (const [key, value] of Object.entries(node)) {
    if (key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments' || key === 'extra' || key === 'loc') continue
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === 'string') walk(child as Node, visit, node)
    } else if (value && typeof value === 'object' && typeof (value as Node).type === 'string') walk(value as Node, visit, node)
  }
}

/** The names a node reads or writes: identifiers, not the member names and object keys written after them. */
export function identifiersOf(node: Node): string[] {
  const names: string[] = []
  walk(node, (n, parent) => {
    if (n.type !== 'Identifier') return
    if (parent?.type === 'MemberExpression' && parent.property === n && !parent.computed) return
    if (parent?.type === 'ObjectProperty' && parent.key === n && !parent.computed) return
    names.push(n.name)
  })
  return names
}

/** Whether the node or one inside it is of that type. */
export function contains(node: Node, type: string): boolean {
  let found = false
  walk(node, (n) => {
    if (n.type === type) found = true
  })
  return found
}

/** The plain names that the statements' own declarations (`let`, `const`, `var`) declare. */
export function declaredNames(statements: readonly t.Statement[]): string[] {
  return statements.flatMap((s) => (s.type === 'VariableDeclaration' ? s.declarations.flatMap((d) => (d.id.type === 'Identifier' ? [d.id.name] : [])) : []))
}

/** The text of a node as lines, the later ones re-indented relative to the line the node starts on. */
export function nodeLines(code: string, node: Node, text = code.slice(node.start!, node.end!)): string[] {
  const base = indentAt(code, node.start!)
  return text.split(/\r?\n/).map((line, i) => (i === 0 ? line : line.startsWith(base) ? line.slice(base.length) : line.trimStart()))
}

/** Text put at `start` (replacing up to `end` when given). */
export interface Splice {
  start: number
  end?: number
  text: string
}

/** The code with the splices made; they must not overlap. Two at one offset keep their order. */
export function applySplices(code: string, splices: readonly Splice[]): string {
  const ordered = splices.map((s, i) => ({ ...s, i })).sort((a, b) => b.start - a.start || b.i - a.i)
  let out = code
  for (const s of ordered) out = out.slice(0, s.start) + s.text + out.slice(s.end ?? s.start)
  return out
}

/** The offset where the line holding `offset` starts. */
export function lineStart(code: string, offset: number): number {
  return code.lastIndexOf('\n', offset - 1) + 1
}

/** The whitespace that starts the line holding `offset`. */
export function indentAt(code: string, offset: number): string {
  return /^[ \t]*/.exec(code.slice(lineStart(code, offset)))![0]
}

/** Where a statement starts, its leading comments included (they stay with it). */
export function startWithComments(node: Node): number {
  return Math.min(node.start!, ...(node.leadingComments ?? []).map((c) => c.start!))
}

/** A string literal in the file's quotes. */
export function quoted(text: string, style: Style): string {
  const q = style.quote
  return q + text.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`).replace(/\n/g, '\\n').replace(/\r/g, '\\r') + q
}

/**
 * Code written as lines of `[depth, text]` (a statement's text ends with `;`), in the file's style:
 * `base` before each line, one indent per depth, semicolons only where the file has them.
 */
export function render(lines: ReadonlyArray<readonly [number, string]>, base: string, style: Style): string {
  return lines
    .map(([depth, text]) => {
      // The hook's own callbacks (never code copied from the file) as the file writes its callbacks.
      const own = style.callback === 'function' && (depth === 0 || text === 'return () => {')
      const written = own ? text.replace(/\((async )?\(\) => \{$/, '($1function () {').replace(/^return \(\) => \{$/, 'return function () {') : text
      const line = style.semi ? written : written.replace(/;$/, '')
      return line ? `${base}${style.indent.repeat(depth)}${line}${style.eol}` : style.eol
    })
    .join('')
}

/** A name usable as `a.name` (else `a['name']`). */
export function isIdentifier(name: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(name)
}
