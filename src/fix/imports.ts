// Named imports a patch's code needs (`afterEach` from 'vitest', `rmSync` from 'node:fs'): merged
// into the file's existing `import { … } from '…'` (sorted in when its names are sorted, on their
// own lines when they are), else one new import after the last, in the file's style. What the file
// already imports is used under its local name (`import { vi as v }` gives `v`).
import type * as t from '@babel/types'
import { type Source, type Splice, lineStart, quoted } from './source.js'

export interface Imports {
  splices: Splice[]
  /** The name each wanted import has in the file. */
  local: (name: string) => string
}

/**
 * Makes `names` available from the first of `modules` the file imports (all alike: `node:fs`, `fs`).
 * `implicit`: the names are globals already (Vitest's `globals: true`), so nothing is added unless
 * the file imports from the module anyway.
 */
export function ensureImports(source: Source, modules: readonly string[], names: readonly string[], implicit = false): Imports {
  const declarations = source.program.body.filter(
    (s): s is t.ImportDeclaration => s.type === 'ImportDeclaration' && s.importKind !== 'type' && modules.includes(s.source.value),
  )
  const locals = new Map<string, string>()
  for (const d of declarations)
    for (const s of d.specifiers)
      if (s.type === 'ImportSpecifier' && s.importKind !== 'type')
        locals.set(s.imported.type === 'Identifier' ? s.imported.name : s.imported.value, s.local.name)
  const missing = [...new Set(names)].filter((n) => !locals.has(n))
  const local = (name: string) => locals.get(name) ?? name
  if (!missing.length || (implicit && !declarations.length)) return { splices: [], local }
  const named = declarations.find(
    (d) => d.specifiers.some((s) => s.type === 'ImportSpecifier') && !d.specifiers.some((s) => s.type === 'ImportNamespaceSpecifier'),
  )
  if (named) return { splices: mergeInto(source, named, missing), local }
  return { splices: [newImport(source, modules[0]!, missing)], local }
}

/** The names added to `import { … }`: sorted in when the list is sorted, else after the last. */
function mergeInto(source: Source, declaration: t.ImportDeclaration, missing: readonly string[]): Splice[] {
  const { code, style } = source
  const specifiers = declaration.specifiers.filter((s): s is t.ImportSpecifier => s.type === 'ImportSpecifier')
  const nameOf = (s: t.ImportSpecifier) => code.slice(s.start!, s.end!)
  const multiline = specifiers.length > 1 && code.slice(specifiers[0]!.end!, specifiers[1]!.start!).includes('\n')
  const separator = multiline ? `,${style.eol}${/[ \t]*$/.exec(code.slice(0, specifiers.at(-1)!.start!))![0]}` : ', '
  const key = (n: string) => n.replace(/^type\s+/, '').toLowerCase()
  const sorted = specifiers.every((s, i) => i === 0 || key(nameOf(specifiers[i - 1]!)) <= key(nameOf(s)))
  const splices: Splice[] = []
  const last = specifiers.at(-1)!
  const trailing = /^\s*,/.exec(code.slice(last.end!))
  for (const name of [...missing].sort((a, b) => (key(a) < key(b) ? -1 : 1))) {
    const before = sorted ? specifiers.find((s) => key(nameOf(s)) > key(name)) : undefined
    if (before) splices.push({ start: before.start!, text: `${name}${separator}` })
    else if (trailing && multiline) splices.push({ start: last.end! + trailing[0].length, text: `${separator.slice(1)}${name},` })
    else splices.push({ start: last.end!, text: `${separator}${name}` })
  }
  return splices
}

/** `import { a, b } from 'm'` on its own line, after the file's last import (or before its first statement). */
function newImport(source: Source, module: string, names: readonly string[]): Splice {
  const { code, style, program } = source
  const line = `import { ${[...names].sort().join(', ')} } from ${quoted(module, style)}${style.semi ? ';' : ''}`
  const imports = program.body.filter((s) => s.type === 'ImportDeclaration')
  const last = imports.at(-1)
  if (last) {
    const newline = code.indexOf('\n', last.end!)
    return newline < 0 ? { start: code.length, text: `${style.eol}${line}` } : { start: newline + 1, text: `${line}${style.eol}` }
  }
  const first = program.body[0]
  return first ? { start: lineStart(code, first.start!), text: `${line}${style.eol}` } : { start: code.length, text: `${line}${style.eol}` }
}
