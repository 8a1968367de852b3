// Watch mode: reruns keep the seed and record nothing.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { shardSuite } from '../helpers/shard-suite.js'

describe('watch mode', () => {
  test('reruns keep the seed and record nothing', async () => {
    const project = shardSuite()
    const child = project.spawnVitest(['--watch'], { FLAKESEED_SEED: '77' })
    let output = ''
    const ends = () => output.match(/^flakeseed · seed 77 · .*$/gm) ?? []
    const waitFor = (count: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no rerun seen:\n${output}`)), 90_000)
        const check = () => {
          if (ends().length < count) return
          clearTimeout(timer)
          resolve()
        }
        child.stdout.on('data', check)
        check()
      })
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    try {
      await waitFor(1)
      project.write({ 'test/f1.test.ts': `${project.read('test/f1.test.ts')}\n// edited\n` })
      await waitFor(2)
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
    }
    expect(output.match(/^flakeseed seed 77 · \d+ files? shuffled$/gm), output).toHaveLength(2)
    expect(output.match(/flakeseed: watch mode: same seed on every rerun, nothing recorded/g)).toHaveLength(1)
    expect(ends()[1]).toMatch(/replay: FLAKESEED_SEED=77 npx vitest run$/)
    expect(existsSync(join(project.dir, '.flakeseed/history.db'))).toBe(false)
  })
})
