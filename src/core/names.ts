// A test's identity, the one rule everything that names a test follows: the runner in every
// worker, the reporter, the plan executor and the store. A test is `(project, file, name)`:
// `file` relative to its project's root with `/` separators, `name` the describe chain and title
// joined by ` > `, and a name repeated in one file gets the next free ` (k)` in declaration order.
// Pure (type imports only): the runner loads it in every worker.
import type { TestCase, TestModule } from 'vitest/node'
import type { TestState } from './model.js'

/** Separates a test's file from its describe chain and title in ids and names. */
export const NAME_SEPARATOR = ' > '

/** `file` for the default project, `project:file` for a named one. */
export function fileId(project: string, file: string): string {
  return project ? `${project}:${file}` : file
}

/** The id a user sees and passes to `--test`/`--only`: `[project:]file > describe > test`. */
export function testId(project: string, file: string, name: string): string {
  return `${fileId(project, file)}${NAME_SEPARATOR}${name}`
}

/** The id of anything that names its project, file and test. */
export function idOf(t: { project: string; file: string; name: string }): string {
  return testId(t.project, t.file, t.name)
}

/**
 * Type checks (Vitest's `typecheck` pool: tsc over the same files, under the same test names) are
 * tests of their own: their project is the test's project marked `(typecheck)`, so a type failure
 * is recorded beside the run's outcome of the same test, never in its place.
 */
const TYPECHECK = '(typecheck)'

/** The project type checks of `project` are recorded under: `(typecheck)`, `zod (typecheck)`. */
export function typecheckProject(project: string): string {
  return project ? `${project} ${TYPECHECK}` : TYPECHECK
}

/** Whether a recorded project holds type checks (only tsc checks them: nothing to reorder). */
export function isTypecheckProject(project: string): boolean {
  return project === TYPECHECK || project.endsWith(` ${TYPECHECK}`)
}

/** A module of the typecheck pool: Vitest marks its file task `meta.typecheck` (v4.1.12 `chunks/index.UpGiHP7g.js:1199`). */
export function isTypecheckModule(module: TestModule): boolean {
  return module.meta().typecheck === true
}

/** The project a module's tests are recorded under. */
export function recordedProject(module: TestModule): string {
  return isTypecheckModule(module) ? typecheckProject(module.project.name) : module.project.name
}

/** What names tests in a quarantine entry: an exact id, or a part of ids (every id containing it). */
export interface TestPattern {
  test?: string
  contains?: string
}

/** Whether the pattern names the test with this id. */
export function matchesPattern(pattern: TestPattern, id: string): boolean {
  if (pattern.test !== undefined) return pattern.test === id
  return pattern.contains !== undefined && pattern.contains !== '' && id.includes(pattern.contains)
}

/** Windows and POSIX paths give one file id. */
export function toPosix(path: string): string {
  return path.replace(/\\/g, '/')
}

/**
 * Gives repeated names in one file the suffixes ` (2)`, ` (3)`… in declaration order, so every
 * test of a file has its own id. A suffix that a real name of the file already has is passed
 * over: `dup`, `dup`, `dup (2)` are `dup`, `dup (3)`, `dup (2)`. The ids are unique whatever the
 * titles are: a generated `name (k)` is never a real name, and two generated names are equal
 * only when their names and k are.
 */
export function disambiguate(names: readonly string[]): string[] {
  const real = new Set(names)
  const seen = new Set<string>()
  const next = new Map<string, number>()
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name)
      return name
    }
    let k = next.get(name) ?? 2
    while (real.has(suffixed(name, k))) k++
    next.set(name, k + 1)
    return suffixed(name, k)
  })
}

function suffixed(name: string, k: number): string {
  return `${name} (${k})`
}

/**
 * The names a test named `name` may have been declared with: `name` itself, and, when it ends in
 * ` (k)`, the repeated name that `disambiguate` suffixed. Which of them it is only the whole
 * file tells.
 */
export function declaredNames(name: string): string[] {
  const bare = / \(\d+\)$/.exec(name) ? name.slice(0, name.lastIndexOf(' (')) : undefined
  return bare === undefined ? [name] : [name, bare]
}

/** The describe chain and title of a test case, as flakeseed names it (without the file). */
export function caseName(test: TestCase): string {
  const names = [test.name]
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) names.unshift(parent.name)
  return names.join(NAME_SEPARATOR)
}

/** Every test of a module in declaration order, each with its flakeseed name (repeats disambiguated). */
export type ModuleTests = Array<{ name: string; test: TestCase }>

/** A module's `ModuleTests`. */
export function moduleTests(module: TestModule): ModuleTests {
  const tests = [...module.children.allTests()]
  const names = disambiguate(tests.map(caseName))
  return tests.map((test, i) => ({ name: names[i]!, test }))
}

/** A Vitest result state as flakeseed records it; undefined for a test that never ran. */
export function toState(state: string): TestState | undefined {
  return state === 'passed' || state === 'failed' || state === 'skipped' ? state : undefined
}
