// A unified diff of whole-file edits, as `git apply` takes it from the root (a/ and b/ prefixes).
import type { FileEdit } from './types.js'

export function unifiedDiff(edits: readonly FileEdit[]): string {
  return edits.map((e) => `--- a/${e.path}\n+++ b/${e.path}\n`).join('')
}
