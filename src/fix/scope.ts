// A describe's `let` that one test assigns and another reads (zustand's `let api`): the assignment
// repeated in a `beforeEach` of the describe that declares the variable, so the reader no longer
// depends on the assigning test running first. For a victim (a test that reassigns what the reader
// expects as declared), the declaration's initial value is assigned again before each test.
import type * as t from '@babel/types'
import type { Leak } from '../core/model.js'
import type { Lines } from './hooks.js'
import { splitId, titleOf as title } from './input.js'
import { type Block, blocksOf, findBlock } from './locate.js'
import type { Candidate, CodeContext } from './remedies.js'
import { contains, declaredNames, identifiersOf, nodeLines, type Source, walk } from './source.js'
import type { PatchInput } from './types.js'

/** One `describe-setup` candidate for the scope leaks of a finding (all in the victim's file). */
export function scopeCandidates(leaks: readonly Leak[], input: PatchInput): Candidate[] {
  const variables = [...new Set(leaks.map((l) => l.what.split(' ')[0]!))]
  const setter = leaks[0]!.by
  const brittle = input.finding.kind === 'brittle'
  const victim = splitId(input.finding.victim, input.project).name
  const names = variables.join(', ')
  const setterTitle = title(splitId(setter, input.project).name)
  const first = (place: string) =>
    brittle
      ? `assign ${names} in a beforeEach of ${place}, which declares it, as '${setterTitle}' does`
      : `assign ${names} its declared value again in a beforeEach of ${place}, which declares it`
  const again = (place: string) => `save ${names} before each test and assign it back after, in a beforeEach of ${place}, which declares it`
  return [
    {
      kind: 'describe-setup',
      summary: first('the describe'),
      placed: first,
      by: input.finding.victim,
      code: (c) => setupCode(c, variables, victim, brittle ? splitId(setter, input.project).name : undefined),
    },
    // A victim's variable with no initial value (assigned in a beforeAll: i18next's `let t`): what it holds kept around each test.
    ...(brittle
      ? []
      : [
          {
            kind: 'describe-setup' as const,
            summary: again('the describe'),
            placed: again,
            by: input.finding.victim,
            code: (c: CodeContext) => setupCode(c, variables, victim, undefined, true),
          },
        ]),
  ]
}

/** The beforeEach, written into the describe that declares the variables. */
function setupCode(
  c: CodeContext,
  variables: readonly string[],
  victim: string,
  setter: string | undefined,
  saved = false,
): { lines: Lines; into: Block | undefined; after?: t.Statement } | string {
  const blocks = blocksOf(c.source)
  const reader = findBlock(blocks, victim, 'test')
  if (!reader) return `'${victim}' cannot be found in its file`
  const scope = declaringScope(c.source, reader, variables[0]!)
  if (!scope) return `${variables[0]} is not declared by a describe around '${title(victim)}'`
  // After the declarations it assigns, so the hook reads as their setup.
  const declarations = scope.body.filter((st) => st.type === 'VariableDeclaration' && variables.some((v) => declares(st, v)))
  if (saved) return { lines: savedLines(c, variables), into: scope.block, after: declarations.at(-1) }
  const statements = setter ? assigningStatements(blocks, setter, variables) : initialValues(scope, variables)
  if (typeof statements === 'string') return statements
  const async = statements.some((s) => contains(s, 'AwaitExpression'))
  return {
    lines: [[0, `${c.vitest('beforeEach')}(${async ? 'async ' : ''}() => {`], ...statements.flatMap((s) => statementLines(c.source, s)), [0, '});']],
    into: scope.block,
    after: declarations.at(-1),
  }
}

/** `beforeEach` saving the variables' values and returning what assigns them back. */
function savedLines(c: CodeContext, variables: readonly string[]): Lines {
  const one = variables.length === 1
  return [
    [0, `${c.vitest('beforeEach')}(() => {`],
    [1, `const saved = ${one ? variables[0] : `[${variables.join(', ')}]`};`],
    [1, 'return () => {'],
    ...variables.map((v, k) => [2, `${v} = saved${one ? '' : `[${k}]`};`] as const),
    [1, '};'],
    [0, '});'],
  ]
}

/** The innermost describe around the reader (or the file: `undefined` block) whose body declares `variable` with let/var. */
function declaringScope(source: Source, reader: Block, variable: string): { block: Block | undefined; body: t.Statement[] } | undefined {
  const scopes: Array<{ block: Block | undefined; body: t.Statement[] }> = [
    { block: undefined, body: source.program.body },
    ...reader.describes.flatMap((d) => (d.body?.type === 'BlockStatement' ? [{ block: d as Block | undefined, body: d.body.body }] : [])),
  ]
  return scopes.reverse().find((s) => s.body.some((st) => st.type === 'VariableDeclaration' && st.kind !== 'const' && declares(st, variable)))
}

function declares(declaration: t.VariableDeclaration, name: string): boolean {
  return declaration.declarations.some((d) => d.id.type === 'Identifier' && d.id.name === name)
}

/** The setter's top-level statements that assign the variables, with the declarations of its own they use. */
function assigningStatements(blocks: readonly Block[], setter: string, variables: readonly string[]): t.Statement[] | string {
  const block = findBlock(blocks, setter, 'test')
  if (block?.body?.type !== 'BlockStatement') return `'${title(setter)}' cannot be found in its file`
  const body = block.body.body
  const picked = new Set(body.filter((s) => variables.some((v) => assigns(s, v))))
  if (!picked.size) return `'${title(setter)}' assigns ${variables.join(', ')} only inside other code`
  // Declarations of the setter's own that the picked statements use come along, in order.
  for (let changed = true; changed; ) {
    changed = false
    const used = new Set([...picked].flatMap((s) => identifiersOf(s)))
    for (const s of body)
      if (!picked.has(s) && declaredNames([s]).some((name) => used.has(name))) {
        picked.add(s)
        changed = true
      }
  }
  const chosen = body.filter((s) => picked.has(s))
  const local = new Set(declaredNames(body))
  const declared = new Set(declaredNames(chosen))
  const missing = [...new Set(chosen.flatMap(identifiersOf))].filter((n) => local.has(n) && !declared.has(n))
  if (missing.length || chosen.some((s) => contains(s, 'ReturnStatement'))) return `what '${title(setter)}' assigns depends on more of its own code`
  return chosen
}

/** `variable = <its initializer>` for each variable, from the declaration. */
function initialValues(scope: { body: t.Statement[] }, variables: readonly string[]): t.Statement[] | string {
  const out: t.Statement[] = []
  for (const v of variables) {
    const declaration = scope.body.find((s): s is t.VariableDeclaration => s.type === 'VariableDeclaration' && declares(s, v))
    const init = declaration?.declarations.find((d) => d.id.type === 'Identifier' && d.id.name === v)?.init
    if (!init) return `${v} has no initial value to assign again`
    out.push({ type: 'ExpressionStatement', expression: init, start: init.start, end: init.end, assign: v } as unknown as t.Statement)
  }
  return out
}

/** A statement's text as hook lines: its own lines, re-indented under the hook. */
function statementLines(source: Source, statement: t.Statement & { assign?: string }): Lines {
  // Without semicolons, Babel gives a statement the `;` that starts the next line (`\n;(api as any)…`).
  const lines = nodeLines(source.code, statement, `${source.code.slice(statement.start!, statement.end!).replace(/\s*;?\s*$/, '')};`)
  if (statement.assign) lines[0] = `${statement.assign} = ${lines[0]}`
  return lines.map((line) => [1, line] as const)
}

function assigns(node: t.Node, name: string): boolean {
  let found = false
  walk(node, (n) => {
    const target = n.type === 'AssignmentExpression' ? n.left : n.type === 'UpdateExpression' ? n.argument : undefined
    if (target?.type === 'Identifier' && target.name === name) found = true
  })
  return found
}
