// A hook put into a describe (or the file's top level) by position: as the block's first statement
// (so it registers before the block's own hooks: its `beforeEach` saves before theirs change
// anything, and what it returns runs after their `afterEach`), indented as that statement, followed
// by a blank line. Nothing else in the file moves.
import type * as t from '@babel/types'
import { type Block, isSuiteStatement } from './locate.js'
import { indentAt, lineStart, type Node, render, type Source, type Splice, startWithComments } from './source.js'

/** Code as `[depth, text]` lines (see `render`). */
export type Lines = ReadonlyArray<readonly [number, string]>

/**
 * The splice that puts `lines` at the start of `describe`'s body (the file's tests when undefined),
 * or right after the statement `after`; undefined when there is no line to put them on.
 */
export function insertHook(source: Source, describe: Block | undefined, lines: Lines, after?: Node): Splice | undefined {
  const { code, style } = source
  const statements: t.Statement[] | undefined = describe ? (describe.body?.type === 'BlockStatement' ? describe.body.body : undefined) : source.program.body
  if (!statements?.length) return undefined
  const first = after
    ? statements[statements.indexOf(after as t.Statement) + 1]
    : describe
      ? statements[0]!
      : (statements.find(isSuiteStatement) ?? statements.find((s) => s.type !== 'ImportDeclaration'))
  if (!first) return undefined
  const at = lineStart(code, startWithComments(first))
  // A body written on one line (`describe('x', () => { test(…) })`) has no line to give the hook.
  if (describe?.body && at <= describe.body.start!) return undefined
  // Without semicolons, a next line starting with ( [ ` + - / would continue the hook's call.
  const hazard = !style.semi && /^[([`+\-/]/.test(code.slice(first.start!))
  const text = render(lines, indentAt(code, first.start!), style)
  return { start: at, text: `${hazard ? text.replace(/\)(\r?\n)$/, ');$1') : text}${style.eol}` }
}
