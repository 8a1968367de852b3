// A unified diff of whole-file edits, as `git apply` takes it from the root (`a/` and `b/`
// prefixes, three lines of context, `\ No newline at end of file` where a side ends without one).
// Lines keep their `\r`, so a CRLF file's patch applies to its bytes. Lines are matched with
// Myers' O(ND) algorithm: a patch adds a few lines, so D is small.
import type { FileEdit } from './types.js'

const CONTEXT = 3

/** The diff of every edit that changes its file, in the order given. */
export function unifiedDiff(edits: readonly FileEdit[]): string {
  return edits
    .filter((e) => e.before !== e.after)
    .map((e) => `--- a/${e.path}\n+++ b/${e.path}\n${hunks(linesOf(e.before), linesOf(e.after))}`)
    .join('')
}

/** Lines with their `\n` (and `\r`) kept; the last one may have none. */
function linesOf(text: string): string[] {
  const lines = text.split(/(?<=\n)/)
  return lines[0] === '' ? [] : lines
}

type Op = { op: ' ' | '-' | '+'; line: string; a: number; b: number }

/** The shortest edit script from `a` to `b` (Myers 1986). */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length
  const m = b.length
  const max = n + m
  const v = new Map<number, number>([[1, 0]])
  const trace: Array<Map<number, number>> = []
  let found = false
  for (let d = 0; d <= max && !found; d++) {
    trace.push(new Map(v))
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v.get(k - 1)! < v.get(k + 1)!) ? v.get(k + 1)! : v.get(k - 1)! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      v.set(k, x)
      if (x >= n && y >= m) {
        found = true
        break
      }
    }
  }
  const ops: Op[] = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d--) {
    const vd = trace[d]!
    const k = x - y
    const down = k === -d || (k !== d && vd.get(k - 1)! < vd.get(k + 1)!)
    const prevK = down ? k + 1 : k - 1
    const prevX = vd.get(prevK) ?? 0
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) ops.push({ op: ' ', line: a[--x]!, a: x, b: --y })
    if (d > 0) {
      if (down) ops.push({ op: '+', line: b[--y]!, a: x, b: y })
      else ops.push({ op: '-', line: a[--x]!, a: x, b: y })
    }
  }
  return ops.reverse()
}

/** The changes grouped into hunks with their context. */
function hunks(a: readonly string[], b: readonly string[]): string {
  const ops = diffLines(a, b)
  const changed = ops.flatMap((o, i) => (o.op === ' ' ? [] : [i]))
  let out = ''
  let i = 0
  while (i < changed.length) {
    let j = i
    while (j + 1 < changed.length && changed[j + 1]! - changed[j]! <= 2 * CONTEXT + 1) j++
    const from = Math.max(0, changed[i]! - CONTEXT)
    const to = Math.min(ops.length, changed[j]! + CONTEXT + 1)
    const part = ops.slice(from, to)
    const oldCount = part.filter((o) => o.op !== '+').length
    const newCount = part.filter((o) => o.op !== '-').length
    const first = part[0]!
    out += `@@ -${range(first.a, oldCount)} +${range(first.b, newCount)} @@\n`
    for (const o of part) out += `${o.op}${o.line}${o.line.endsWith('\n') ? '' : '\n\\ No newline at end of file\n'}`
    i = j + 1
  }
  return out
}

/** `start,count` as unified diffs write it (1-based; an empty range names the line before it). */
function range(start: number, count: number): string {
  return count === 0 ? `${start},0` : count === 1 ? `${start + 1}` : `${start + 1},${count}`
}
