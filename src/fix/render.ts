// Hooks written into the polluters' files: each file parsed once, each hook put into the innermost
// describe of the test that left the state (or its describe, when the describe's hooks are the
// cause), the imports its code uses merged in, and the file's text spliced by position.
import { dirname, isAbsolute, join, posix, relative } from 'node:path'
import { type Imports, ensureImports } from './imports.js'
import { insertHook } from './hooks.js'
import { type Block, blocksOf, findBlock } from './locate.js'
import { NAME_SEPARATOR } from '../core/names.js'
import { causeDescribe, editPath, readText, splitId } from './input.js'
import type { Candidate, CodeContext } from './remedies.js'
import { parseSource, quoted, type Source, type Splice, applySplices } from './source.js'
import { tsconfigTargets } from './tsconfig-paths.js'
import type { FileEdit, PatchInput } from './types.js'

type HookCandidate = Extract<Candidate, { code: unknown }>

/** Where one hook went: its describe (undefined: the file's top level) and the name its file calls `vi` by. */
export interface Placed {
  hook: HookCandidate
  file: string
  describe: Block | undefined
  vi: string | undefined
}

/** `describe 'money' of test/money.test.ts` for the describe a hook went into, or the file for its top level. */
export function placeText(file: string, describe: Block | undefined): string {
  return describe ? `describe '${describe.title}' of ${file}` : file
}

/** The files with every hook written in (and where each went, so the summary names it), or why one cannot be. */
export function renderHooks(hooks: readonly HookCandidate[], input: PatchInput): { edits: FileEdit[]; placed: Placed[] } | { why: string } {
  const byFile = new Map<string, HookCandidate[]>()
  for (const hook of hooks) {
    const { file } = splitId(hook.by, input.project)
    byFile.set(file, [...(byFile.get(file) ?? []), hook])
  }
  const edits: FileEdit[] = []
  const placed: Placed[] = []
  for (const [file, list] of byFile) {
    const edit = renderFile(file, list, input, placed)
    if ('why' in edit) return edit
    edits.push(edit)
  }
  return { edits, placed }
}

function renderFile(file: string, hooks: readonly HookCandidate[], input: PatchInput, placed: Placed[]): FileEdit | { why: string } {
  const projectRoot = input.projectRoot ?? input.root
  const absolute = isAbsolute(file) ? file : join(projectRoot, file)
  const before = readText(input, absolute)
  const source = before === undefined ? undefined : parseSource(absolute, before)
  if (!source || before === undefined) return { why: `${file} cannot be read or parsed` }
  const blocks = blocksOf(source)
  const needs = new Needs(source, file)
  const hookSplices: Splice[] = []
  const seen = new Set<string>()
  for (const hook of hooks) {
    const { name } = splitId(hook.by, input.project)
    const describeCause = causeDescribe(hook.by, input)
    const where = placeOf(blocks, describeCause ?? name, describeCause !== undefined)
    if (typeof where === 'string') return { why: `${where} in ${file} (a title that is not a plain string, or a describe made by a helper)` }
    const code = hook.code(needs.context(describeCause ? 'All' : 'Each', projectRoot))
    if (typeof code === 'string') return { why: code }
    const [lines, describe] = 'lines' in code ? [code.lines, code.into] : [code, where.describe]
    const splice = insertHook(source, describe, lines, 'lines' in code ? code.after : undefined)
    if (!splice) return { why: `'${describe?.name ?? file}' is written on one line, with no line for a hook` }
    placed.push({ hook, file, describe, vi: needs.vi })
    // The same hook for two leaks of one describe is written once.
    if (!seen.has(`${splice.start}\0${splice.text}`)) hookSplices.push(splice)
    seen.add(`${splice.start}\0${splice.text}`)
  }
  const after = applySplices(before, [...needs.splices(), ...hookSplices])
  if (parseSource(absolute, after) === undefined) return { why: `the patched ${file} would not parse` }
  return { path: editPath(input, absolute), before, after }
}

/**
 * The describe a hook goes into: the test's innermost one (undefined: the file's top level), or the
 * describe itself. A test made by `test.each` or a helper has no literal title to find, but its name
 * still holds its describe chain: the describe is found by that.
 */
function placeOf(blocks: readonly Block[], name: string, isDescribe: boolean): { describe: Block | undefined } | string {
  const block = findBlock(blocks, name, isDescribe ? 'describe' : 'test')
  if (block) return { describe: block.kind === 'describe' ? block : block.describes.at(-1) }
  const chain = isDescribe ? name : name.split(NAME_SEPARATOR).slice(0, -1).join(NAME_SEPARATOR)
  if (!chain) return { describe: undefined }
  const describe = findBlock(blocks, chain, 'describe')
  return describe ? { describe } : `describe '${chain}' cannot be found`
}

/** The imports the hooks of one file use, gathered while their code is written. */
class Needs {
  private readonly wanted = new Map<string, { modules: string[]; names: Set<string>; implicit: boolean }>()
  private readonly globals: boolean
  /** The name the hooks' code calls `vi` by (`vitest`, `v`), once some hook used it. */
  vi: string | undefined

  constructor(
    private readonly source: Source,
    private readonly file: string,
  ) {
    // A file that imports nothing from 'vitest' and no `test`/`describe` from anywhere runs with `globals: true`.
    const imports = source.program.body.filter((s) => s.type === 'ImportDeclaration')
    const fromVitest = imports.some((d) => d.source.value === 'vitest')
    const suiteNames = imports.some((d) => d.specifiers.some((s) => /^(test|it|describe|suite)$/.test(s.local.name)))
    this.globals = !fromVitest && !suiteNames
  }

  private use(key: string, modules: string[], name: string, implicit = false): string {
    const entry = this.wanted.get(key) ?? { modules, names: new Set<string>(), implicit }
    entry.names.add(name)
    this.wanted.set(key, entry)
    return this.imports(entry.modules, [name], implicit).local(name)
  }

  private imports(modules: string[], names: string[], implicit: boolean): Imports {
    return ensureImports(this.source, modules, names, implicit)
  }

  splices(): Splice[] {
    return [...this.wanted.values()].flatMap((w) => this.imports(w.modules, [...w.names], w.implicit).splices)
  }

  context(each: 'Each' | 'All', projectRoot: string): CodeContext {
    const { source, file } = this
    return {
      each,
      source,
      // `vitest` is the same object as `vi`: a file that imports it (i18next's tests) keeps using it.
      vitest: (name) => {
        const local = (name === 'vi' && vitestObject(this.source)) || this.use('vitest', ['vitest'], name, this.globals)
        if (name === 'vi') this.vi = local
        return local
      },
      fs: (name) => this.use('fs', ['node:fs', 'fs'], name),
      q: (text) => quoted(text, source.style),
      exported: (module, name) => {
        const found = moduleImport(source, file, module, projectRoot)
        if (found?.namespace) return `${found.namespace}.${name}`
        if (name === 'default') return found?.defaultLocal
        // Keyed by the specifier: one module named with and without its extension is one import.
        const specifier = found?.specifier ?? specifierFor(source, file, module)
        return this.use(`module:${specifier}`, [specifier], name)
      },
      fileUrl: (target) => {
        if (/\.cjs$/.test(file) || /[?#%]/.test(target)) return undefined
        const rel = relative(dirname(join(projectRoot, file)), join(projectRoot, target))
          .split(/[\\/]/)
          .join('/')
        return `new URL(${quoted(rel.startsWith('.') ? rel : `./${rel}`, source.style)}, import.meta.url)`
      },
    }
  }
}

/** The local name of `import { vitest } from 'vitest'` when the file has it and no `vi`. */
function vitestObject(source: Source): string | undefined {
  const specifiers = source.program.body.flatMap((s) =>
    s.type === 'ImportDeclaration' && s.source.value === 'vitest' && s.importKind !== 'type' ? s.specifiers : [],
  )
  const named = (n: string) =>
    specifiers.find((sp) => sp.type === 'ImportSpecifier' && (sp.imported.type === 'Identifier' ? sp.imported.name : sp.imported.value) === n)
  return named('vi') ? undefined : named('vitest')?.local.name
}

/** What a hook written into this file calls `vi` (`vitest`, `v`, or `vi`), as `Needs` writes it. */
export function viNameIn(source: Source): string {
  return vitestObject(source) ?? ensureImports(source, ['vitest'], ['vi'], true).local('vi')
}

const EXTENSION = /\.[cm]?[jt]sx?$/

/** The file's import of a project module (path relative to the project root), if any; through tsconfig `paths` when `root` is given. */
export function moduleImport(
  source: Source,
  file: string,
  module: string,
  root?: string,
): { specifier: string; namespace?: string; defaultLocal?: string } | undefined {
  const want = module.replace(EXTENSION, '').replace(/\/index$/, '')
  for (const statement of source.program.body) {
    if (statement.type !== 'ImportDeclaration' || statement.importKind === 'type') continue
    const specifier = statement.source.value
    const resolved = specifier.startsWith('.')
      ? posix
          .join(posix.dirname(file), specifier)
          .replace(EXTENSION, '')
          .replace(/\/index$/, '')
      : undefined
    // A path alias (`@/settings`, `~/lib/settings`): the same module when its path after the alias ends the module's.
    const alias = /^(?:@|~|#|@@)\/(.+)$/
      .exec(specifier)?.[1]
      ?.replace(EXTENSION, '')
      .replace(/\/index$/, '')
    const paths = !resolved && root ? tsconfigTargets(root, file, specifier).map((p) => p.replace(EXTENSION, '').replace(/\/index$/, '')) : []
    if (resolved !== want && !paths.includes(want) && !(alias && (want === alias || want.endsWith(`/${alias}`)))) continue
    const namespace = statement.specifiers.find((s) => s.type === 'ImportNamespaceSpecifier')?.local.name
    const defaultLocal = statement.specifiers.find((s) => s.type === 'ImportDefaultSpecifier')?.local.name
    return { specifier: statement.source.value, namespace, defaultLocal }
  }
  return undefined
}

/** A relative specifier for a module the file does not import yet, with the extension its other relative imports use. */
function specifierFor(source: Source, file: string, module: string): string {
  const relatives = source.program.body.flatMap((s) => (s.type === 'ImportDeclaration' && s.source.value.startsWith('.') ? [s.source.value] : []))
  let rel = posix.relative(posix.dirname(file), module)
  if (!rel.startsWith('.')) rel = `./${rel}`
  if (relatives.some((r) => r.endsWith('.js'))) return rel.replace(EXTENSION, '.js')
  if (relatives.some((r) => EXTENSION.test(r))) return rel
  return rel.replace(EXTENSION, '')
}
