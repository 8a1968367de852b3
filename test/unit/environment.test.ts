import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { gitInfo } from '../../src/environment.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flakeseed-env-'))
  dirs.push(dir)
  return dir
}

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = tempDir()
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim()
  git('init', '-q', '-b', 'main')
  return { dir, git }
}

describe('gitInfo', () => {
  test('commit, branch and dirty state of a checkout', async () => {
    const { dir, git } = repo()
    writeFileSync(join(dir, 'a.txt'), 'one')
    git('add', 'a.txt')
    git('commit', '-q', '-m', 'x')
    const sha = git('rev-parse', 'HEAD')
    expect(await gitInfo(dir, {})).toEqual({ commitSha: sha, branch: 'main', dirty: false })
    // Untracked files do not count; a changed tracked file does.
    writeFileSync(join(dir, 'new.txt'), 'untracked')
    expect((await gitInfo(dir, {})).dirty).toBe(false)
    writeFileSync(join(dir, 'a.txt'), 'two')
    expect((await gitInfo(dir, {})).dirty).toBe(true)
    // A detached HEAD has no branch.
    git('checkout', '-q', '--detach')
    expect(await gitInfo(dir, {})).toEqual({ commitSha: sha, branch: null, dirty: true })
  })

  test('a staged change or a deleted file makes a checkout dirty too', async () => {
    const { dir, git } = repo()
    writeFileSync(join(dir, 'a.txt'), 'one')
    writeFileSync(join(dir, 'b.txt'), 'one')
    git('add', '.')
    git('commit', '-q', '-m', 'x')
    writeFileSync(join(dir, 'a.txt'), 'two')
    git('add', 'a.txt')
    expect((await gitInfo(dir, {})).dirty).toBe(true)
    git('commit', '-q', '-m', 'y')
    expect((await gitInfo(dir, {})).dirty).toBe(false)
    rmSync(join(dir, 'b.txt'))
    expect((await gitInfo(dir, {})).dirty).toBe(true)
  })

  test('a repository without a commit yet, and a folder outside any repository', async () => {
    const { dir } = repo()
    expect(await gitInfo(dir, {})).toEqual({ commitSha: null, branch: null, dirty: null })
    expect(await gitInfo(tempDir(), {})).toEqual({ commitSha: null, branch: null, dirty: null })
  })

  test('CI variables name the commit and branch of a detached CI checkout', async () => {
    const { dir, git } = repo()
    git('commit', '-q', '--allow-empty', '-m', 'x')
    git('checkout', '-q', '--detach')
    const env = { GITHUB_ACTIONS: 'true', GITHUB_SHA: 'abc123', GITHUB_REF_TYPE: 'branch', GITHUB_REF_NAME: 'feature' }
    expect(await gitInfo(dir, env)).toEqual({ commitSha: 'abc123', branch: 'feature', dirty: false })
  })
})
