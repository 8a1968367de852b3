// What a finished test file records: one row per test that ran, in the order it ran, with its
// outcome and a bounded error (message and the test's own stack frames).
import type { TestCase, TestModule } from 'vitest/node'
import { type ModuleTests, moduleTests, recordedProject, toPosix, toState } from '../src/core/names.js'
import type { TestMeta } from '../src/worker/context.js'
import type { ResultRow } from '../src/store/index.js'
import { quarantineOf } from './quarantine.js'

const ERROR_LIMIT = 2000
const STACK_FRAMES = 5

/** Numbers the run's workers 1, 2, … in the order they are first seen. */
export class WorkerNumbers {
  private readonly numbers = new Map<string, number>()

  of(worker: string): number {
    let n = this.numbers.get(worker)
    if (n === undefined) this.numbers.set(worker, (n = this.numbers.size + 1))
    return n
  }
}

/**
 * The rows of a module's tests that ran. `order` gives a test's position for projects whose
 * workers do not run flakeseed's runner (then the order of their results is the order they ran).
 */
export function resultRows(
  module: TestModule,
  fileIndex: number,
  workers: WorkerNumbers,
  order: (test: TestCase) => number | undefined,
  tests: ModuleTests = moduleTests(module),
): ResultRow[] {
  const rows: ResultRow[] = []
  const file = toPosix(module.relativeModuleId)
  const project = recordedProject(module)
  tests.forEach(({ name, test }, i) => {
    const result = test.result()
    let state = toState(result.state)
    if (!state) return // never ran: its worker died before reaching it
    const meta = (test.meta() as { flakeseed?: TestMeta }).flakeseed
    const diagnostic = test.diagnostic()
    // A quarantined failure, which Vitest was told passed: recorded as the failure it was.
    const released = quarantineOf(test)?.errors
    if (released?.length) state = 'failed'
    rows.push({
      project,
      file,
      name,
      fileIndex,
      testIndex: meta?.index ?? order(test) ?? i,
      worker: meta?.worker ? workers.of(meta.worker) : null,
      state,
      durationMs: diagnostic ? Math.round(diagnostic.duration) : null,
      retries: diagnostic?.retryCount ?? 0,
      flaky: state === 'passed' && (diagnostic?.flaky ?? false),
      error: state === 'failed' ? formatError((released ?? (result as { errors?: ReadonlyArray<unknown> }).errors) as ErrorLike[] | undefined) : null,
    })
  })
  return rows
}

type ErrorLike = { message?: string; stack?: string }

/** The first error: its message and the test's own stack frames (Vitest's internals do not locate the failure). */
export function formatError(errors: ReadonlyArray<ErrorLike> | undefined): string | null {
  const error = errors?.[0]
  if (!error) return null
  const message = error.message ?? ''
  const stack = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s*at /.test(line) && !line.includes('/node_modules/'))
    .slice(0, STACK_FRAMES)
    .join('\n')
  const text = stack ? `${message}\n${stack}` : message
  return text.length > ERROR_LIMIT ? `${text.slice(0, ERROR_LIMIT - 1)}…` : text
}
