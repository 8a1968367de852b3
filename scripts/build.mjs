// Build: compile TypeScript to dist/ and make the CLI executable. Cleans first so a
// removed source file never lingers in the published package. Then the worker's runner, which
// every Vitest worker loads, becomes one module (docs/ARCHITECTURE.md, What a run costs).
import { execFileSync } from 'node:child_process'
import { chmodSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
rmSync(join(root, 'dist'), { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root })
} catch {
  process.exit(1) // tsc has printed the errors
}
chmodSync(join(root, 'dist/cli/index.js'), 0o755)
await bundleRunner(join(root, 'dist/src/worker/runner.js'))

/**
 * The runner and what it imports from dist (breadcrumbs, names, order, the write notes) as one
 * ES module in place of tsc's runner.js: a worker then loads one file instead of five. Vitest and
 * seedrandom stay imports of their packages, the diagnosis (probes only) a module of its own.
 * Rolldown is the bundler Vite ships, so no dependency is added; its output is the same for the
 * same input, so dist stays deterministic.
 */
async function bundleRunner(file) {
  const { rolldown } = await import('rolldown')
  const bundle = await rolldown({
    input: file,
    platform: 'node',
    external: [/^vitest(?:\/|$)/, /^node:/, /^seedrandom(?:\/|$)/, /\/diagnosis\.js$/],
    logLevel: 'warn',
  })
  const { output } = await bundle.generate({ format: 'esm', codeSplitting: false })
  await bundle.close()
  if (output.length !== 1) throw new Error(`build: the runner bundled into ${output.length} files, expected one`)
  writeFileSync(file, output[0].code)
}
