// What a run records about itself: seed, code, CI build, Vitest's settings that decide which
// tests share a process, versions, and how it was started (so replay can run it again).
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basename, relative } from 'node:path'
import type { Vitest } from 'vitest/node'
import { ciInfo, type GitInfo } from '../src/plugin/environment.js'
import { toPosix } from '../src/core/names.js'
import type { Session } from '../src/plugin/session.js'
import type { RunMeta } from '../src/store/index.js'

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

export function runMeta(vitest: Vitest, session: Session, git: GitInfo): RunMeta {
  const config = vitest.config
  const ci = ciInfo(session.env)
  const configFile = vitest.vite?.config?.configFile
  return {
    uuid: randomUUID(),
    kind: session.kind,
    startedAt: Date.now(),
    seed: session.seed,
    seedSource: session.seedSource,
    commitSha: git.commitSha,
    branch: git.branch,
    dirty: git.dirty,
    ciProvider: ci.provider,
    ciUrl: ci.url,
    shard: config.shard ? `${config.shard.index}/${config.shard.count}` : null,
    pool: config.pool ?? null,
    isolate: config.isolate ?? null,
    // Vitest resolves `fileParallelism: false` to a single worker.
    fileParallelism: config.maxWorkers !== 1,
    vitestVersion: vitest.version ?? null,
    nodeVersion: process.version,
    flakeseedVersion: VERSION,
    platform: `${process.platform}-${process.arch}`,
    argv: JSON.stringify(process.argv.slice(2)),
    root: config.root,
    config: configFile ? toPosix(relative(config.root, configFile)) : null,
  }
}

/**
 * The arguments after `vitest run` when this process is Vitest's own CLI, so a replay by seed
 * keeps the user's filters, project, shard and config; undefined when another tool started
 * Vitest (its arguments are not Vitest's).
 */
export function vitestArgs(argv: readonly string[] = process.argv): string[] | undefined {
  if (!/^vitest(\.m?js)?$/.test(basename(argv[1] ?? ''))) return undefined
  const args = argv.slice(2)
  const rest = ['run', 'watch', 'dev'].includes(args[0] ?? '') ? args.slice(1) : args
  return rest.filter((a) => a !== '--watch' && a !== '-w')
}
