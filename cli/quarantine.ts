import { existsSync } from 'node:fs'
import { userInfo } from 'node:os'
import { isAbsolute, relative, resolve } from 'node:path'
import { currentTests } from '../src/plugin/current-tests.js'
import { DEFAULT_MIN_RUNS } from '../src/core/defaults.js'
import { gitUser } from '../src/plugin/environment.js'
import { FlakeseedError, firstLine } from '../src/core/errors.js'
import { plural, visible } from '../src/core/format.js'
import { matchesPattern, testId } from '../src/core/names.js'
import { isDate, isExpired, type ListedEntry, patternText, type QuarantineEntry, readQuarantine, today, writeQuarantine } from '../src/quarantine/file.js'
import { latestFindings, type StoredFinding } from '../src/store/findings.js'
import { Store } from '../src/store/index.js'
import { DB_TIMEOUT, dbPath, printJson, type CommonOptions } from './common.js'

export interface FileOptions extends CommonOptions {
  file: string
}

export interface AddOptions extends FileOptions {
  reason: string
  until?: string
  by?: string
  config?: string
}

/** `--by`, else git's user.name, else the login name; none when nothing says. */
function by(options: AddOptions): { by?: string } {
  if (options.by !== undefined) return { by: options.by }
  let name = gitUser(process.cwd())
  try {
    name ??= userInfo().username
  } catch {
    // A container user without a passwd entry has no name.
  }
  return name ? { by: name } : {}
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

/** Recorded test ids (none without a DB). */
function recordedTests(options: CommonOptions): string[] {
  const path = dbPath(options)
  if (!existsSync(path)) return []
  const store = Store.open(path, { readonly: true, timeout: DB_TIMEOUT })
  try {
    return store.findTests('').map((t) => testId(t.project, t.file, t.name))
  } finally {
    store.close()
  }
}

/** What a query selects, by the rule every command follows: its exact id, else every id containing it. */
function select(ids: readonly string[], query: string): string[] {
  return ids.includes(query) ? [query] : ids.filter((id) => id.includes(query))
}

export async function add(queries: string[], options: AddOptions): Promise<number> {
  const path = resolve(options.file)
  const reason = options.reason.trim()
  if (!reason) throw new FlakeseedError('flakeseed: --reason must say why the test is quarantined')
  const day = today()
  if (options.until !== undefined) {
    if (!isDate(options.until)) throw new FlakeseedError(`flakeseed: --until "${options.until}" is not a date (use YYYY-MM-DD)`)
    if (options.until < day) throw new FlakeseedError(`flakeseed: --until ${options.until} is already past (today is ${day})`)
  }
  const entries: QuarantineEntry[] = readQuarantine(path, shown(path)).map(({ line: _, ...e }) => e)
  const recorded = recordedTests(options)
  let current: string[] | undefined
  const added: Array<{ entry: QuarantineEntry; matches: string[]; updated: boolean }> = []
  // Every query is checked before the file is written: one that matches nothing changes nothing.
  for (const query of queries) {
    let matches = select(recorded, query)
    if (!matches.length) {
      current ??= await currentTests(process.cwd(), options.config)
      matches = select(current, query)
    }
    if (!matches.length) {
      throw new FlakeseedError(
        `flakeseed: "${query}" matches no recorded or current test (give a test id as \`flakeseed history\` or Vitest names it, or a part of one)`,
      )
    }
    const pattern = matches.length === 1 && matches[0] === query ? { test: query } : { contains: query }
    const entry: QuarantineEntry = {
      ...pattern,
      reason,
      added: day,
      ...by(options),
      ...(options.until ? { until: options.until } : {}),
    }
    const at = entries.findIndex((e) => e.test === entry.test && e.contains === entry.contains)
    if (at >= 0) entries[at] = entry
    else entries.push(entry)
    added.push({ entry, matches, updated: at >= 0 })
  }
  try {
    writeQuarantine(path, entries)
  } catch (error) {
    throw new FlakeseedError(`flakeseed: cannot write ${shown(path)}: ${firstLine(error)}`)
  }
  if (options.json) {
    printJson({ file: path, entries: added.map((a) => ({ ...a.entry, matches: a.matches, updated: a.updated })) })
    return 0
  }
  for (const { entry, matches, updated } of added) {
    const until = entry.until ? `, until ${entry.until}` : ''
    const why = `(${visible(entry.reason)}${until}) in ${shown(path)}`
    if (entry.test !== undefined) console.log(`${updated ? 'updated' : 'quarantined'} ${visible(entry.test)} ${why}`)
    else {
      console.log(
        `${updated ? 'updated' : 'quarantined'} every test containing "${visible(entry.contains!)}" ${why}; it matches ${plural(matches.length, 'test')} now:`,
      )
      for (const id of matches) console.log(`  ${visible(id)}`)
    }
  }
  return 0
}

export function remove(queries: string[], options: FileOptions): number {
  const path = resolve(options.file)
  const entries = readQuarantine(path, shown(path))
  const gone: ListedEntry[] = []
  // Per entry as written: every copy of a duplicated one goes, and is said once with its count.
  const said: Array<{ entry: ListedEntry; copies: number }> = []
  for (const query of queries) {
    const found = entries.filter((e) => (e.test ?? e.contains) === query && !gone.includes(e))
    if (!found.length && !gone.some((e) => (e.test ?? e.contains) === query)) {
      throw new FlakeseedError(
        `flakeseed: no entry of ${shown(path)} is "${visible(query)}" (see flakeseed quarantine list; give the id or part as written there)`,
      )
    }
    gone.push(...found)
    for (const e of found) {
      const same = said.find((s) => patternText(s.entry) === patternText(e))
      if (same) same.copies++
      else said.push({ entry: e, copies: 1 })
    }
  }
  const kept = entries.filter((e) => !gone.includes(e)).map(({ line: _, ...e }) => e)
  try {
    writeQuarantine(path, kept)
  } catch (error) {
    throw new FlakeseedError(`flakeseed: cannot write ${shown(path)}: ${firstLine(error)}`)
  }
  if (options.json) printJson({ file: path, removed: gone.map(({ line: _, ...e }) => e), left: kept.length })
  else
    for (const { entry, copies } of said) {
      const all = copies > 1 ? ` (all ${copies} copies of it)` : ''
      console.log(`removed ${visible(patternText(entry))}${all} from ${shown(path)} (${plural(kept.length, 'entry', 'entries')} left)`)
    }
  return 0
}

/** One entry's record since it was added: per run, whether any test it names failed. */
interface Since {
  runs: number
  failed: number
  retried: number
  /** Runs since the last failure (or retry), newest first. */
  streak: number
  lastFailure: number | null
  advice: string
}

function since(store: Store | undefined, ids: readonly number[], added: string | undefined): Since {
  const empty = { runs: 0, failed: 0, retried: 0, streak: 0, lastFailure: null }
  const from = added ? ` since ${added}` : ''
  if (!store || !ids.length) return { ...empty, advice: `no recorded run${from}` }
  const start = added ? new Date(`${added}T00:00:00`).getTime() : 0
  const byRun = new Map<number, 'passed' | 'retried' | 'failed'>()
  const rank = { passed: 0, retried: 1, failed: 2 }
  for (const row of store.history(ids, 1_000_000)) {
    if (row.kind !== 'run' || row.state === 'skipped' || Date.parse(row.startedAt) < start) continue
    const state = row.state === 'failed' ? 'failed' : row.retried ? 'retried' : 'passed'
    const before = byRun.get(row.run)
    if (!before || rank[state] > rank[before]) byRun.set(row.run, state)
  }
  const runs = [...byRun].sort((a, b) => b[0] - a[0])
  if (!runs.length) return { ...empty, advice: `no recorded run${from}` }
  let streak = 0
  while (streak < runs.length && runs[streak]![1] === 'passed') streak++
  const failed = runs.filter(([, s]) => s === 'failed').length
  const retried = runs.filter(([, s]) => s === 'retried').length
  const lastFailure = runs.find(([, s]) => s !== 'passed')?.[0] ?? null
  let advice: string
  const recorded = plural(runs.length, added ? 'run' : 'recorded run')
  if (streak === runs.length) advice = `passed ${recorded} in a row${from}${runs.length >= DEFAULT_MIN_RUNS ? ': remove?' : ''}`
  else {
    const parts = [failed ? `failed in ${failed}` : '', retried ? `passed only on a retry in ${retried}` : ''].filter(Boolean).join(', ')
    advice = `${parts} of ${recorded}${from} (last in run ${lastFailure})${streak ? `, passed the ${plural(streak, 'run')} since` : ''}`
  }
  return { runs: runs.length, failed, retried, streak, lastFailure, advice }
}

function findingText(f: StoredFinding): string {
  const parts: string[] = []
  if (f.kind === 'victim') parts.push(`polluted by ${f.polluters.join(', ') || 'an earlier test'}`)
  if (f.kind === 'brittle') parts.push(`passes only after ${f.stateSetters.join(', ') || 'a state setter'}`)
  if (f.kind === 'nod') parts.push('non-deterministic: the same order passed and failed')
  if (f.kind === 'not-reproduced') parts.push('non-deterministic: the failing order passed when run again')
  if (f.kind === 'independent') parts.push('fails alone: no earlier test involved')
  if (f.cleaners.length) parts.push(`cleaned up by ${f.cleaners.join(', ')}`)
  return parts.join('; ')
}

export function list(options: FileOptions): number {
  const path = resolve(options.file)
  const entries = readQuarantine(path, shown(path))
  const db = dbPath(options)
  const store = existsSync(db) ? Store.open(db, { readonly: true, timeout: DB_TIMEOUT }) : undefined
  const day = today()
  try {
    const tests = store ? store.findTests('').map((t) => ({ id: t.id, name: testId(t.project, t.file, t.name) })) : []
    const findings = store ? latestFindings(store) : new Map<string, StoredFinding>()
    const rows = entries.map((e) => {
      const matched = tests.filter((t) => matchesPattern(e, t.name))
      const finding = matched.map((t) => findings.get(t.name)).find(Boolean) ?? null
      return {
        entry: e,
        expired: isExpired(e, day),
        matches: matched.map((t) => t.name),
        since: since(
          store,
          matched.map((t) => t.id),
          e.added,
        ),
        finding,
      }
    })
    if (options.json) {
      printJson(
        rows.map(({ entry: { line, ...entry }, expired, matches, since: s, finding }) => ({
          ...entry,
          line,
          expired,
          matches,
          since: s,
          finding: finding && {
            kind: finding.kind,
            polluters: finding.polluters,
            stateSetters: finding.stateSetters,
            cleaners: finding.cleaners,
            command: finding.command,
          },
        })),
      )
      return 0
    }
    if (!rows.length) {
      console.log(`no quarantined tests (${shown(path)}${existsSync(path) ? ' is empty' : ' does not exist'})`)
      return 0
    }
    console.log(`${plural(rows.length, 'entry', 'entries')} in ${shown(path)}`)
    for (const { entry: e, expired, matches, since: s, finding } of rows) {
      console.log('')
      console.log(visible(patternText(e)))
      console.log(`  reason   ${visible(e.reason)}`)
      const who = [
        e.added ? `added ${e.added}` : '',
        e.by ? `by ${visible(e.by)}` : '',
        e.until ? `until ${e.until}${expired ? ' (expired: its failures fail the run again)' : ''}` : '',
      ].filter(Boolean)
      if (who.length) console.log(`  ${who.join(' · ')}`)
      if (e.contains !== undefined)
        console.log(`  matches  ${matches.length ? `${plural(matches.length, 'recorded test')}: ${matches.map(visible).join(', ')}` : 'no recorded test'}`)
      else if (!matches.length) console.log('  matches  no recorded test')
      console.log(`  outcome  ${s.advice}`)
      if (finding) console.log(`  finding  ${visible(findingText(finding))}${finding.command ? `\n           reproduce: ${finding.command}` : ''}`)
    }
    return 0
  } finally {
    store?.close()
  }
}
