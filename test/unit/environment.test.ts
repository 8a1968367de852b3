import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ciInfo, gitInfo } from '../../src/plugin/environment.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flakeseed-env-'))
  dirs.push(dir)
  return dir
}

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = tempDir()
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim()
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

describe('ciInfo', () => {
  test.each([
    [
      'GitHub Actions',
      { GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '42' },
      { provider: 'github-actions', url: 'https://github.com/acme/shop/actions/runs/42' },
    ],
    [
      'GitLab',
      { GITLAB_CI: 'true', CI: 'true', CI_JOB_URL: 'https://gitlab.com/acme/shop/-/jobs/7' },
      { provider: 'gitlab', url: 'https://gitlab.com/acme/shop/-/jobs/7' },
    ],
    [
      'CircleCI',
      { CIRCLECI: 'true', CI: 'true', CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/shop/9' },
      { provider: 'circleci', url: 'https://circleci.com/gh/acme/shop/9' },
    ],
    [
      'Buildkite',
      { BUILDKITE: 'true', CI: 'true', BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/shop/builds/3' },
      { provider: 'buildkite', url: 'https://buildkite.com/acme/shop/builds/3' },
    ],
    [
      'Jenkins',
      { JENKINS_URL: 'https://ci.acme.dev/', BUILD_URL: 'https://ci.acme.dev/job/shop/5/' },
      { provider: 'jenkins', url: 'https://ci.acme.dev/job/shop/5/' },
    ],
    [
      'Azure Pipelines',
      { TF_BUILD: 'True', SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/', SYSTEM_TEAMPROJECT: 'shop', BUILD_BUILDID: '11' },
      { provider: 'azure-pipelines', url: 'https://dev.azure.com/acme/shop/_build/results?buildId=11' },
    ],
    ['another CI', { CI: 'true' }, { provider: 'ci', url: null }],
    ['a laptop', { CI: 'false' }, { provider: null, url: null }],
    ['GitHub Actions without the URL parts', { GITHUB_ACTIONS: 'true' }, { provider: 'github-actions', url: null }],
  ] as const)('%s', (_, env, expected) => {
    expect(ciInfo(env)).toEqual(expected)
  })
})
