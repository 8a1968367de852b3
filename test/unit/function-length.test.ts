// No product function over MAX_LINES lines (docs/ARCHITECTURE.md, "Functions" under Layers): a function that
// long does a whole phase, and a reader has to hold all of it at once. Every function-like node
// of every .ts file under src/, reporter/ and cli/ is measured with TypeScript's own parser, from
// its first line to its last (a nested closure counts in its parent too). The exceptions are
// named below, each with why.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'
import { REPO } from '../helpers/project.js'

const MAX_LINES = 80

/** `file:function` → why it may be longer, for now. */
const ALLOWED: Record<string, string> = {}

interface Measured {
  file: string
  name: string
  line: number
  lines: number
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** What a reader calls the function: its own name, the variable or property it is assigned to, else `<anonymous>`. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  if (node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) || ts.isPrivateIdentifier(node.name))) return node.name.text
  if (ts.isConstructorDeclaration(node)) return 'constructor'
  const parent = node.parent
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && ts.isIdentifier(parent.name))
    return parent.name.text
  return '<anonymous>'
}

/** Every function-like node of one source file with its length in lines. */
function measure(file: string, text: string): Measured[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found: Measured[] = []
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
      found.push({ file, name: nameOf(node as ts.FunctionLikeDeclaration), line: first + 1, lines: last - first + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const measured = ['src', 'reporter', 'cli'].flatMap((dir) =>
  sourceFiles(join(REPO, dir)).flatMap((path) => measure(relative(REPO, path).split('\\').join('/'), readFileSync(path, 'utf8'))),
)

describe('function length', () => {
  test(`no product function is over ${MAX_LINES} lines, but the named exceptions`, () => {
    const long = measured.filter((m) => m.lines > MAX_LINES && !ALLOWED[`${m.file}:${m.name}`])
    expect(long.map((m) => `${m.file}:${m.line} ${m.name} (${m.lines} lines)`)).toEqual([])
  })

  test('every exception still names a long function (a split one leaves the list)', () => {
    const stale = Object.keys(ALLOWED).filter((key) => !measured.some((m) => `${m.file}:${m.name}` === key && m.lines > MAX_LINES))
    expect(stale).toEqual([])
  })

  test('the measure counts a function from its first line to its last, nested closures in their parent', () => {
    const text = ['function outer() {', '  const inner = () => {', '    return 1', '  }', '  return inner()', '}', 'class C { m() { return 2 } }'].join('\n')
    const got = measure('x.ts', text).map((m) => `${m.name}:${m.line}:${m.lines}`)
    expect(got).toEqual(['outer:1:6', 'inner:2:3', 'm:7:1'])
  })
})
