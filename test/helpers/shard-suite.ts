// The fixture the shard, prune and watch tests share: eight files of a describe of four tests,
// one failing and one skipped, and what they read back from a run.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { testId } from '../../src/core/names.js'
import type { ShowJson } from './cli.js'
import { config, createProject, LOG, type Project } from './project.js'

export const SERIAL = `fileParallelism: false`
export const SEED = '2024'
// ---- fixture -------------------------------------------------------------------------------

/**
 * Eight files, each a describe of four tests logging `<file> <test>`, one failing and one skipped
 * test; `more` quiet tests in f7 make a DB big enough for VACUUM to show.
 */
export function shardSuite(more = 0): Project {
  const files: Record<string, string> = { 'vitest.config.ts': config('', SERIAL) }
  for (let f = 0; f < 8; f++) {
    const lines = [`import { describe, test } from 'vitest'`, LOG, `describe('d', () => {`]
    for (let t = 0; t < 4; t++) lines.push(`  test('t${t}', () => log('f${f} t${t}'))`)
    if (f === 3) lines.push(`  test('fails', () => { log('f3 fails'); throw new Error('fails on purpose') })`)
    if (f === 5) lines.push(`  test.skip('skipped', () => log('never'))`)
    if (f === 7 && more) lines.push(`  test.each(Array.from({ length: ${more} }, (_, i) => i))('more %i', () => {})`)
    lines.push('})')
    files[`test/f${f}.test.ts`] = lines.join('\n')
  }
  return createProject(files)
}

/** Per test: outcome and position in its file, the things a shard run must agree on with a full run. */
export function outcomes(show: ShowJson): Map<string, { state: string; index: number }> {
  const map = new Map<string, { state: string; index: number }>()
  for (const f of show.files) for (const t of f.tests) map.set(testId(f.project, f.file, t.name), { state: t.state, index: t.index })
  return map
}

/** Fixture tests log what ran; replay and bisect run them too. */
export function logEnv(project: Project): NodeJS.ProcessEnv {
  return { ORDER_LOG: join(project.dir, 'cli-order.log') }
}

export function tableCounts(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true })
  try {
    return Object.fromEntries(['runs', 'tests', 'results', 'findings'].map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]))
  } finally {
    db.close()
  }
}
