// A test file whose worker died (a crash, out of memory, a SIGKILL) never ends in the main process
// and has no results for the tests after the crash. The worker's breadcrumbs (src/worker/breadcrumbs.ts)
// still tell which of its tests finished, with their outcome, and which one was running.
import type { TestModule } from 'vitest/node'
import type { BreadcrumbLog } from '../src/worker/breadcrumbs.js'
import { isTypecheckModule, moduleTests, toPosix, toState } from '../src/core/names.js'
import type { ResultRow } from '../src/store/index.js'
import type { WorkerNumbers } from './results.js'

export const DIED_DURING = 'flakeseed: the worker running this test file died during this test (crash, out of memory or killed)'
export const DIED_AFTER = 'flakeseed: failed before its worker died (the error was lost with the worker)'

/** Rows for the tests of dead workers' files that have no result in the main process. */
export function crashRows(
  logs: readonly BreadcrumbLog[],
  modules: ReadonlyArray<TestModule>,
  fileIndex: (module: TestModule) => number,
  workers: WorkerNumbers,
): ResultRow[] {
  const rows: ResultRow[] = []
  for (const log of logs) {
    // A worker that finished its file logged an end for every test it started: nothing ran on.
    if (!log.running) continue
    const module = modules.find((m) => m.moduleId === log.file && !isTypecheckModule(m))
    if (!module) continue
    const tests = moduleTests(module)
    const hasResult = (name: string) => {
      const entry = tests.find((t) => t.name === name)
      return entry !== undefined && toState(entry.test.result().state) !== undefined
    }
    // A worker that finished normally logged tests that have their results already.
    if (hasResult(log.running.name)) continue
    const row = (name: string, testIndex: number) => ({
      project: module.project.name,
      file: toPosix(module.relativeModuleId),
      name,
      fileIndex: fileIndex(module),
      testIndex,
      worker: workers.of(log.worker),
      durationMs: null,
      retries: 0,
      flaky: false,
    })
    for (const done of log.finished) {
      if (hasResult(done.name)) continue
      const state = done.state === 'fail' ? 'failed' : done.state === 'skip' ? 'skipped' : 'passed'
      rows.push({ ...row(done.name, done.index), state, error: state === 'failed' ? DIED_AFTER : null })
    }
    rows.push({ ...row(log.running.name, log.running.index), state: 'failed', error: DIED_DURING })
  }
  return rows
}
