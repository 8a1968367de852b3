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
  for (const file of files) {
    const path = isAbsolute(file) ? file : join(projectRoot, file)
    const text = readText(input, path)
    const source = text === undefined ? undefined : parseSource(path, text)
    for (const statement of source?.program.body ?? []) {
      if (statement.type !== 'ImportDeclaration' || !statement.source.value.startsWith('.')) continue
      const base = join(dirname(path), statement.source.value)
      for (const candidate of CANDIDATES.map((ext) => base.replace(/\.[cm]?js$/, ext === '' ? '$&' : '') + ext)) {
        const code = readText(input, candidate)
        const module = code === undefined ? undefined : parseSource(candidate, code)
        if (!module) continue
        const name = relative(projectRoot, candidate).split(sep).join(posix.sep)
        for (const variable of unexportedLets(module.program)) found.add(`\`let ${variable}\` of ${name}`)
        break
      }
    }
  }
  return [...found]
}

/** Top-level `let`/`var` names a module neither exports where declared nor in an `export { … }`. */
function unexportedLets(program: t.Program): string[] {
  const exported = new Set<string>()
  for (const s of program.body) {
    if (s.type === 'ExportNamedDeclaration' && !s.source) for (const spec of s.specifiers) if (spec.type === 'ExportSpecifier') exported.add(spec.local.name)
    if (s.type === 'ExportDefaultDeclaration' && s.declaration.type === 'Identifier') exported.add(s.declaration.name)
  }
  return program.body.flatMap((s) =>
    s.type === 'VariableDeclaration' && s.kind !== 'const'
      ? s.declarations.flatMap((d) => (d.id.type === 'Identifier' && !exported.has(d.id.name) ? [d.id.name] : []))
      : [],
  )
}
