// The docs' samples are what flakeseed prints now: the scenario of scripts/docs-examples.mjs runs
// on the example shop, and every marked block of README.md and docs/ must show its output as is.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { applySamples, DOC_FILES, normalise, produceSamples, spawnCommand, usedSamples } from '../../scripts/docs-examples.mjs'
import { REPO } from '../../scripts/sandbox.mjs'
import { cliInProcess, IN_PROCESS, vitestInProcess } from '../helpers/in-process.js'

// The samples are what flakeseed prints with this repository's own Vitest (its devDependency): the
// Vitest 5 leg of .ci/run would compare Vitest 5's summary lines against Vitest 4's.
const ownVitest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'))
  .devDependencies.vitest.replace(/^\D*/, '')
  .split('.')[0]
const runningVitest = JSON.parse(readFileSync(join(REPO, 'node_modules/vitest/package.json'), 'utf8')).version.split('.')[0]

/**
 * The scenario's ~25 Vitest runs and CLI calls in this process (as the other integration tests run
 * theirs; a child process each when FLAKESEED_TEST_SPAWN=1), with stdout and stderr in the order
 * they were written, as the script's child processes print them into one file.
 */
async function inProcess(dir: string, command: 'vitest' | 'flakeseed', args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const { code, terminal } =
    command === 'vitest'
      ? await vitestInProcess(REPO, dir, args.slice(args[0] === 'run' ? 1 : 0), env)
      : await cliInProcess(join(REPO, 'dist/cli/index.js'), dir, args, env)
  return { code, out: terminal }
}

describe('docs samples', () => {
  test.skipIf(ownVitest !== runningVitest)('every marked block shows what the scenario prints now', { timeout: 600_000 }, async () => {
    const samples = await produceSamples(IN_PROCESS ? inProcess : spawnCommand)
    const used = usedSamples()
    // Every sample the script makes is shown somewhere, and every block names one it makes.
    expect([...used.keys()].sort()).toEqual([...samples.keys()].sort())
    for (const file of DOC_FILES) {
      const text = readFileSync(join(REPO, file), 'utf8')
      // Compared block by block, so a failure names the sample that drifted.
      const blocks = (markdown: string) => [...markdown.matchAll(/<!-- sample: ([\w-]+) -->\n([\s\S]*?)\n<!-- \/sample -->/g)].map((m) => [m[1], m[2]])
      expect(blocks(text), `${file}: run npm run docs:examples`).toEqual(blocks(applySamples(text, samples, file)))
    }
  })

  test('a block is rewritten with its sample, and a name without a sample is an error', () => {
    const samples = new Map([['one', '$ npx flakeseed runs\nrun 1']])
    const markdown = 'a\n<!-- sample: one -->\n```text\nold\n```\n<!-- /sample -->\nb\n'
    expect(applySamples(markdown, samples)).toBe('a\n<!-- sample: one -->\n```text\n$ npx flakeseed runs\nrun 1\n```\n<!-- /sample -->\nb\n')
    expect(() => applySamples(markdown.replace('one', 'two'), samples, 'x.md')).toThrow('x.md: no sample named "two"')
  })

  test('what varies between two runs is normalised', () => {
    const today = new Date().toISOString().slice(0, 10)
    const text = `/tmp/flakeseed-docs-x1/a ${today} 06:18 (9 probes, 6.9 s) within 120 s ${today}T06:22:38.598Z  \n\n`
    expect(normalise(text, '/tmp/flakeseed-docs-x1')).toBe('/tmp/flakeseed-docs/a 2026-12-01 12:00 (9 probes, n.n s) within 120 s 2026-12-01T12:00:00.000Z')
  })

  test('every other output block says where it comes from: a test that asserts it, or a captured transcript', () => {
    for (const file of DOC_FILES) {
      const lines = readFileSync(join(REPO, file), 'utf8').split('\n')
      lines.forEach((line, i) => {
        if (line.trim() !== '```text') return
        const label = lines[i - 1]?.trim() ?? ''
        const origin = /^<!-- (sample|captured|asserted): (.+) -->$/.exec(label)
        expect(origin, `${file}:${i + 1}: an output block without <!-- sample: | captured: | asserted: … -->`).not.toBeNull()
        if (origin?.[1] === 'asserted') expect(existsSync(join(REPO, origin[2]!)), `${file}:${i + 1}: ${origin[2]}`).toBe(true)
      })
    }
  })

  test('the README is a front page of at most 300 lines that links every page of docs/', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
    expect(readme.split('\n').length).toBeLessThanOrEqual(300)
    for (const page of ['install', 'configuration', 'bisect', 'flaky', 'quarantine', 'ci', 'ARCHITECTURE']) expect(readme).toContain(`(docs/${page}.md)`)
    expect(readme).toContain('npm ci && npm run example')
    expect(readme).toContain('npm test')
  })
})
