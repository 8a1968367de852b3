// Where a run happened: commit, branch, working-tree state and CI build, from the usual CI
// variables first (CI checkouts are often detached) and git second.
import { execFile, execFileSync } from 'node:child_process'

export interface GitInfo {
  commitSha: string | null
  branch: string | null
  dirty: boolean | null
}

export interface CiInfo {
  provider: string | null
  url: string | null
}

/**
 * The process's environment, read here and nowhere else (the diagnosis's snapshots aside: there
 * the environment is the state under test). The plugin reads it once per Vitest instance (its
 * `Session` carries it), the CLI once per process (`cli/common.ts`); what needs a variable gets
 * it, or the whole environment, as a parameter.
 */
export function readEnvironment(): NodeJS.ProcessEnv {
  return process.env
}

export function ciInfo(env: NodeJS.ProcessEnv): CiInfo {
  if (env.GITHUB_ACTIONS === 'true') {
    const url =
      env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : null
    return { provider: 'github-actions', url }
  }
  if (env.GITLAB_CI) return { provider: 'gitlab', url: env.CI_JOB_URL ?? null }
  if (env.CIRCLECI) return { provider: 'circleci', url: env.CIRCLE_BUILD_URL ?? null }
  if (env.BUILDKITE) return { provider: 'buildkite', url: env.BUILDKITE_BUILD_URL ?? null }
  if (env.JENKINS_URL) return { provider: 'jenkins', url: env.BUILD_URL ?? null }
  if (env.TF_BUILD) {
    const url =
      env.SYSTEM_COLLECTIONURI && env.SYSTEM_TEAMPROJECT && env.BUILD_BUILDID
        ? `${env.SYSTEM_COLLECTIONURI}${env.SYSTEM_TEAMPROJECT}/_build/results?buildId=${env.BUILD_BUILDID}`
        : null
    return { provider: 'azure-pipelines', url }
  }
  if (env.CI && env.CI !== 'false' && env.CI !== '0') return { provider: 'ci', url: null }
  return { provider: null, url: null }
}

function ciCommit(env: NodeJS.ProcessEnv): string | undefined {
  return env.GITHUB_SHA || env.CI_COMMIT_SHA || env.CIRCLE_SHA1 || env.BUILDKITE_COMMIT || env.GIT_COMMIT || env.BUILD_SOURCEVERSION || undefined
}

function ciBranch(env: NodeJS.ProcessEnv): string | undefined {
  return (
    env.GITHUB_HEAD_REF ||
    (env.GITHUB_REF_TYPE === 'branch' ? env.GITHUB_REF_NAME : undefined) ||
    env.CI_COMMIT_REF_NAME ||
    env.CIRCLE_BRANCH ||
    env.BUILDKITE_BRANCH ||
    env.BRANCH_NAME ||
    env.GIT_BRANCH ||
    env.BUILD_SOURCEBRANCHNAME ||
    undefined
  )
}

/** The commit under test: the CI's (checkouts there are often detached or merge commits), else HEAD. */
export function currentCommit(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  return ciCommit(env) ?? git(cwd, ['rev-parse', 'HEAD'])
}

/**
 * Commit, branch and dirty state, from one asynchronous `git status`: spawning from a big
 * process on a busy machine is slow, `git status` alone can take long in a large repository,
 * and the reporter starts this early so that it overlaps Vitest's own startup.
 */
export async function gitInfo(cwd: string, env: NodeJS.ProcessEnv): Promise<GitInfo> {
  // Untracked files (the history DB itself, build output) do not make a checkout dirty.
  const status = await gitAsync(cwd, ['status', '--porcelain=v2', '--branch', '--untracked-files=no'])
  const lines = status?.split('\n') ?? []
  const header = (key: string) => lines.find((line) => line.startsWith(`# branch.${key} `))?.slice(`# branch.${key} `.length)
  // A repository without a commit yet has neither a commit nor (for `rev-parse`) a branch.
  const oid = header('oid')
  const head = oid === undefined || oid === '(initial)' ? undefined : header('head')
  const commitSha = ciCommit(env) ?? (oid === '(initial)' ? undefined : oid)
  const branch = ciBranch(env) ?? (head === '(detached)' ? undefined : head)
  return {
    commitSha: commitSha ?? null,
    branch: branch === 'HEAD' ? null : (branch ?? null),
    // Without a commit (not a repository, or one with no commit yet) there is nothing to be dirty against.
    dirty: commitSha === undefined || status === undefined ? null : lines.some((line) => line !== '' && !line.startsWith('#')),
  }
}

/** git's user.name, for who added a quarantine entry. */
export function gitUser(cwd: string): string | undefined {
  return git(cwd, ['config', 'user.name']) || undefined
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

function gitAsync(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((done) => {
    try {
      execFile('git', args, { cwd, encoding: 'utf8' }, (error, stdout) => done(error ? undefined : stdout.trim()))
    } catch {
      done(undefined)
    }
  })
}
