// The change a hunt looks at: the merge base with the target branch, the files changed since it
// (committed, staged, unstaged and untracked, as Vitest's own `--changed` counts them), and a
// file's text at the base.
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { FlakeseedError } from '../core/errors.js'
import { toPosix } from '../core/names.js'

export interface Base {
  /** The ref asked for (or the CI's target branch). */
  ref: string
  /** `git merge-base HEAD ref`. */
  commit: string
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 })
  } catch {
    return undefined
  }
}

/**
 * The ref to compare with: `--base`, else the CI's target branch (GitHub's `GITHUB_BASE_REF`,
 * GitLab's `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`, Bitbucket's `BITBUCKET_PR_DESTINATION_BRANCH`,
 * Buildkite's `BUILDKITE_PULL_REQUEST_BASE_BRANCH`, Azure's `SYSTEM_PULLREQUEST_TARGETBRANCH`) on
 * `origin`, else `origin/HEAD`. Undefined (with why) when none resolves; a `--base` that does not is
 * bad input.
 */
export function findBase(root: string, option: string | undefined, env: NodeJS.ProcessEnv): Base | { none: string } {
  if (git(root, ['rev-parse', '--git-dir']) === undefined) {
    if (option) throw new FlakeseedError(`flakeseed: ${root} is not in a git repository, so there is no change to hunt`)
    return { none: `${root} is not in a git repository: no change to hunt` }
  }
  const target =
    env.GITHUB_BASE_REF ||
    env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME ||
    env.BITBUCKET_PR_DESTINATION_BRANCH ||
    env.BUILDKITE_PULL_REQUEST_BASE_BRANCH ||
    env.SYSTEM_PULLREQUEST_TARGETBRANCH?.replace(/^refs\/heads\//, '')
  const candidates = option ? [option] : target ? [`origin/${target}`, target] : ['origin/HEAD']
  for (const ref of candidates) {
    const commit = git(root, ['merge-base', 'HEAD', ref])?.trim()
    if (commit) return { ref, commit }
  }
  if (option) throw new FlakeseedError(`flakeseed: --base ${option} is not a commit that shares history with HEAD here`)
  return { none: `no base to compare with (${candidates.join(', ')} not found; pass --base REF)` }
}

/** Absolute paths of the files changed since `commit` that still exist: committed, staged, unstaged, untracked. */
export function changedFiles(root: string, commit: string): string[] {
  const top = git(root, ['rev-parse', '--show-toplevel'])?.trim()
  if (!top) return []
  const lines = (out: string | undefined) => (out ?? '').split('\n').filter(Boolean)
  const changed = [...lines(git(top, ['diff', '--name-only', '--diff-filter=d', commit])), ...lines(git(top, ['ls-files', '--others', '--exclude-standard']))]
  return [...new Set(changed.map((f) => resolve(top, f)))]
}

/** A file's text at `commit`; undefined when it did not exist there. */
export function textAt(root: string, commit: string, path: string): string | undefined {
  const top = git(root, ['rev-parse', '--show-toplevel'])?.trim()
  if (!top) return undefined
  const relativePath = toPosix(path.startsWith(top) ? path.slice(top.length + 1) : path)
  return git(top, ['show', `${commit}:${relativePath}`])
}
