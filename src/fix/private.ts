// Why there is no patch when the diagnosis verified no leak: the modules the culprits' files import
// that keep a top-level `let`/`var` nothing exports. Read from the source, said as what it is (state
// no test can restore), never as the cause: no probe showed that.
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path'
import type * as t from '@babel/types'
import { readText, splitId } from './input.js'
import { parseSource } from './source.js'
import type { PatchInput } from './types.js'

const CANDIDATES = ['', '.ts', '.tsx', '.mts', '.js', '.mjs', '/index.ts', '/index.js']

/** `let count` of src/counter.ts, … for the project modules the culprits' files import directly. */
export function privateState(input: PatchInput): string[] {
  const projectRoot = input.projectRoot ?? input.root
  const files = [...new Set([...input.finding.polluters, ...input.finding.stateSetters].map((id) => splitId(id, input.project).file))]
  const found = new Set<string>()
  for (const file of files)
    for (const state of importedPrivateState(isAbsolute(file) ? file : join(projectRoot, file), projectRoot, (path) => readText(input, path))) found.add(state)
  return [...found]
}

/**
 * The module-private state of the project modules a file imports directly, said as
 * `` `let count` of src/counter.ts ``: top-level `let`/`var` bindings nothing exports and, with
 * `containers`, also `const` ones bound to a new object, array, `Map` or `Set` (state a test can
 * change in place). Nothing a diagnosis snapshot can see: it reads a module's exports only.
 */
export function importedPrivateState(path: string, projectRoot: string, read: (path: string) => string | undefined, containers = false): string[] {
  const text = read(path)
  const source = text === undefined ? undefined : parseSource(path, text)
  const found: string[] = []
  for (const statement of source?.program.body ?? []) {
    if (statement.type !== 'ImportDeclaration' || !statement.source.value.startsWith('.')) continue
    const base = join(dirname(path), statement.source.value)
    for (const candidate of CANDIDATES.map((ext) => base.replace(/\.[cm]?js$/, ext === '' ? '$&' : '') + ext)) {
      const code = read(candidate)
      const module = code === undefined ? undefined : parseSource(candidate, code)
      if (!module) continue
      const name = relative(projectRoot, candidate).split(sep).join(posix.sep)
      for (const [kind, variable] of unexported(module.program, containers)) found.push(`\`${kind} ${variable}\` of ${name}`)
      break
    }
  }
  return [...new Set(found)]
}

/** Top-level `let`/`var` names (with `containers`, `const` ones holding a new object) a module neither exports where declared nor in an `export { … }`. */
function unexported(program: t.Program, containers: boolean): Array<[string, string]> {
  const exported = new Set<string>()
  for (const s of program.body) {
    if (s.type === 'ExportNamedDeclaration' && !s.source) for (const spec of s.specifiers) if (spec.type === 'ExportSpecifier') exported.add(spec.local.name)
    if (s.type === 'ExportDefaultDeclaration' && s.declaration.type === 'Identifier') exported.add(s.declaration.name)
  }
  const held = (init: t.Expression | null | undefined) =>
    init?.type === 'NewExpression' || init?.type === 'ArrayExpression' || init?.type === 'ObjectExpression'
  return program.body.flatMap((s) =>
    s.type === 'VariableDeclaration' && (s.kind !== 'const' || containers)
      ? s.declarations.flatMap(
          (d): Array<[string, string]> =>
            d.id.type === 'Identifier' && !exported.has(d.id.name) && (s.kind !== 'const' || held(d.init)) ? [[s.kind, d.id.name]] : [],
        )
      : [],
  )
}
