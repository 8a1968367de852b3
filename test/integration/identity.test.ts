// Test identity end to end, on real Vitest runs: every test of a file gets its own id whatever
// its title (repeats, titles that look like repeats), every result is recorded, and every command
// flakeseed prints selects exactly the tests it names when pasted into bash, whatever the file
// paths and titles hold (quotes, `$(…)`, backticks, newlines, a leading `-`, ` > `, ` (N)`).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { dbWords, replayCommand } from '../../src/core/commands.js'
import { visible } from '../../src/core/format.js'
import { disambiguate, testId } from '../../src/core/names.js'
import { paste, runsBefore, seedWhere, type RunJson, type ShowJson } from '../helpers/cli.js'
import { prng } from '../helpers/files.js'
import { config, createProject, type Project } from '../helpers/project.js'

const HEADER = [
  `import { test, describe } from 'vitest'`,
  `import { appendFileSync } from 'node:fs'`,
  `const log = (tag: string) => { if (process.env.ORDER_LOG) appendFileSync(process.env.ORDER_LOG, tag + '\\n') }`,
  // A test fails when its tag is listed in FAIL: which tests fail is chosen per run.
  `const planned = (tag: string) => { if ((process.env.FAIL ?? '').split(',').includes(tag)) throw new Error('fails on purpose: ' + tag) }`,
  `let dirty = false`,
]

/** A test that logs its tag when it runs; `extra` is more of its body. */
const testLine = (title: string, tag: string, extra = '') =>
  `test(${JSON.stringify(title)}, () => { log(${JSON.stringify(tag)}); planned(${JSON.stringify(tag)}); ${extra} })`

/** The tags a run logged, in the order the tests ran. */
function logged(project: Project, name: string): string[] {
  const path = join(project.dir, name)
  return existsSync(path) ? project.read(name).split('\n').filter(Boolean) : []
}

describe('names that collide', () => {
  test('a run with colliding disambiguated names records every result, and each replays and bisects by its exact id', async () => {
    const file = 'test/c.test.ts'
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      [file]: [
        ...HEADER,
        testLine('dup', 'first dup'),
        testLine('dup', 'second dup', `throw new Error('the second dup fails')`),
        testLine('dup (2)', 'real dup (2)'),
        testLine('x (2)', 'x (2)', `throw new Error('x (2) fails')`),
        `describe('d', () => {`,
        `  ${testLine('t', 'd t')}`,
        `  ${testLine('t', 'd t again')}`,
        `})`,
        testLine('d > t (2)', 'looks nested'),
      ].join('\n'),
    })
    const run = await project.runVitest([], { FLAKESEED_SEED: '1' })
    expect(run.code, run.output).toBe(1)
    expect(run.stdout).toMatch(/Tests {2}2 failed \| 5 passed \(7\)/)
    expect(run.output).not.toMatch(/flakeseed: .*(bug|not recording)/)
    const [listed] = await project.runCliJson<RunJson[]>(['runs'])
    expect(listed).toMatchObject({ passed: 5, failed: 2, skipped: 0 })
    const show = await project.runCliJson<ShowJson>(['show', 'last'])
    const states = Object.fromEntries(show.files[0]!.tests.map((t) => [t.name, t.state]))
    expect(states).toEqual({
      dup: 'passed',
      'dup (3)': 'failed',
      'dup (2)': 'passed',
      'x (2)': 'failed',
      'd > t': 'passed',
      'd > t (3)': 'passed',
      'd > t (2)': 'passed',
    })

    // Each id replays exactly its own test, whatever its name looks like.
    const replays: Array<[string, string[], number]> = [
      ['x (2)', ['x (2)'], 1],
      [`${file} > dup (3)`, ['second dup'], 1],
      [`${file} > dup (2)`, ['real dup (2)'], 0],
      [`${file} > dup`, ['first dup'], 0],
      [`${file} > d > t (3)`, ['d t again'], 0],
      [`${file} > d > t (2)`, ['looks nested'], 0],
    ]
    for (const [only, tags, code] of replays) {
      const log = `replay-${tags[0]!.replace(/\W/g, '-')}.log`
      const replay = await project.runCli(['replay', '1', '--only', only], { ORDER_LOG: join(project.dir, log) })
      expect(replay.code, `${only}\n${replay.output}`).toBe(code)
      expect(logged(project, log), only).toEqual(tags)
    }
    // Bisect finds it too (it fails alone: no earlier test is to blame).
    const bisect = await project.runCli(['bisect', '1', '--test', 'x (2)', '--repeat', '1', '--json'])
    expect(bisect.code, bisect.output).toBe(0)
    expect(JSON.parse(bisect.stdout)).toMatchObject({ victim: `${file} > x (2)`, kind: 'independent' })
  })
})

// ---- printed commands for any name ---------------------------------------------------------------

/** Pieces of hostile titles and paths: shell syntax, quoting, option look-alikes, separators. */
const PIECES = [
  `it's`,
  `"dq"`,
  '$(touch pwned)',
  '`touch pwned`',
  'new\nline',
  ' > ',
  '--only',
  '--db',
  '-x',
  '; exit 3 &&',
  '\\',
  'tab\there',
  'ünï 測試',
  '*',
  '!',
  "''",
]

function hostileTitles(random: () => number, count: number): string[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
  const titles: string[] = []
  while (titles.length < count) {
    // Duplicates, and real titles that look like the suffixed repeats.
    if (titles.length && random() < 0.15) {
      titles.push(pick(titles))
      continue
    }
    let title = ''
    for (let i = 0, n = 1 + Math.floor(random() * 3); i < n; i++) title += pick(PIECES) + pick(['', ' ', 'a', '1'])
    if (random() < 0.3) title = `-${title}`
    if (random() < 0.3) title += ` (${1 + Math.floor(random() * 3)})`
    titles.push(title)
  }
  return titles
}

describe('every printed command selects exactly the tests it names, for any path and title', () => {
  test('hostile titles and paths, recorded by real runs; the end-of-run replay line, bisect reproduce line and flaky next: lines, pasted into bash', async () => {
    const random = prng(16)
    const DB = `-h $(touch pwned) it's.db`
    const env = { FLAKESEED_DB: DB }
    const files = {
      A: `-lead $(touch pwned) it's.test.ts`,
      B: 'sub/q "x" `touch pwned` (2).test.ts',
      C: 'nl\nx > y.test.ts',
    }
    // A: top-level tests only (its order is the ordering rule over their ids), with a polluter,
    // its victim, a repeated title and one that looks like the repeat, and a 10 KB title.
    const titlesA = hostileTitles(random, 10)
    const long = `${hostileTitles(random, 1)[0]} `.repeat(2000).slice(0, 10_000)
    titlesA.push(titlesA[0]!, `${titlesA[0]} (2)`, long, 'pollute', 'victim')
    const titlesB = hostileTitles(random, 8)
    const describes = hostileTitles(random, 2)
    const titlesC = hostileTitles(random, 6)
    const tagged = (letter: string, titles: string[], extra: (title: string) => string = () => '') =>
      titles.map((title, i) => testLine(title, `${letter}${i}`, extra(title)))
    const project = createProject({
      'vitest.config.ts': config('', 'fileParallelism: false'),
      [files.A]: [
        ...HEADER,
        ...tagged('A', titlesA, (t) => (t === 'pollute' ? 'dirty = true' : t === 'victim' ? `if (dirty) throw new Error('polluted')` : '')),
      ].join('\n'),
      [files.B]: [
        ...HEADER,
        ...describes.flatMap((d, k) => [`describe(${JSON.stringify(d)}, () => {`, ...tagged(`B${k}.`, titlesB.slice(k * 4, k * 4 + 4)), '})']),
      ].join('\n'),
      [files.C]: [...HEADER, ...tagged('C', titlesC)].join('\n'),
    })
    const total = titlesA.length + titlesB.length + titlesC.length

    // Run 1: the polluter runs before its victim, and three tests with hostile names fail.
    const namesA = disambiguate(titlesA)
    const idOfA = (title: string) => testId('', files.A, namesA[titlesA.indexOf(title)]!)
    const idsA = namesA.map((n) => testId('', files.A, n))
    const seed1 = seedWhere(idsA, (o) => runsBefore(o, idOfA('pollute'), idOfA('victim')))
    const failing = ['A1', `A${titlesA.length - 3}`, 'C2']
    const run1 = await project.runVitest([], { ...env, FLAKESEED_SEED: seed1, FAIL: failing.join(','), ORDER_LOG: join(project.dir, 'run1.log') })
    expect(run1.code, run1.output).toBe(1)
    expect(run1.output).not.toMatch(/^\s*flakeseed:/m)
    const order1 = logged(project, 'run1.log')
    expect(order1).toHaveLength(total)

    // Every test recorded under an id of its own: tag by tag, from the order each file ran in.
    const show = await project.runCliJson<ShowJson>(['show', '1', '--db', DB])
    const idOf = new Map<string, string>()
    for (const f of show.files) {
      const tags = order1.filter((tag) => tag[0] === Object.entries(files).find(([, path]) => path === f.file)![0])
      expect(f.tests.map((t) => t.state).filter((s) => s !== 'skipped')).toHaveLength(tags.length)
      for (const [i, t] of f.tests.entries()) idOf.set(tags[i]!, testId(f.project, f.file, t.name))
    }
    expect(new Set(idOf.values()).size).toBe(total)
    expect(idOf.get(`A${titlesA.indexOf('victim')}`)).toBe(idOfA('victim'))

    // The end-of-run replay line runs the whole recorded order again.
    const endLine = /^flakeseed run 1 · .* · replay: (npx flakeseed replay 1 .*)$/m.exec(run1.stdout)
    expect(endLine, run1.stdout).not.toBeNull()
    expect(endLine![1]).toContain('--db ')
    expect(paste(project, endLine![1]!, { ORDER_LOG: join(project.dir, 'end.log') }).code).toBe(1)
    expect(logged(project, 'end.log')).toEqual(order1)

    // Bisect's reproduce line: exactly the polluter and its victim.
    const victim = idOfA('victim')
    const bisect = await project.runCli(['bisect', '1', '--test', victim, '--repeat', '1', '--json', '--db', DB])
    expect(bisect.code, bisect.output).toBe(1)
    const finding = JSON.parse(bisect.stdout) as { victim: string; polluters: string[]; command: string }
    expect(finding).toMatchObject({ victim, polluters: [idOfA('pollute')] })
    const reproduced = paste(project, finding.command, { ORDER_LOG: join(project.dir, 'reproduce.log') })
    expect(reproduced.code, reproduced.out).toBe(1)
    expect(logged(project, 'reproduce.log')).toEqual([`A${titlesA.indexOf('pollute')}`, `A${titlesA.indexOf('victim')}`])

    // A replay of any hostile subset runs exactly it, in its recorded order.
    const subset = order1.filter(() => random() < 0.4)
    const command = replayCommand(1, { only: subset.map((tag) => idOf.get(tag)!), db: dbWords(DB, project.dir) })
    expect(paste(project, command, { ORDER_LOG: join(project.dir, 'subset.log') }).code).toBeLessThan(2)
    expect(logged(project, 'subset.log')).toEqual(subset)

    // Run 2: the victim before its polluter, nothing fails. flaky lists what failed once, each
    // with the command to run next: the victim's reproduce line, a bisect of each other one.
    const seed2 = seedWhere(idsA, (o) => runsBefore(o, idOfA('victim'), idOfA('pollute')))
    const run2 = await project.runVitest([], { ...env, FLAKESEED_SEED: seed2 })
    expect(run2.code, run2.output).toBe(0)
    // Two runs: below the default --min-runs, which would class every row `suspected` (next: history).
    const rows = await project.runCliJson<Array<{ test: string; command: string; class: string }>>(['flaky', '--min-runs', '2', '--db', DB])
    const text = (await project.runCli(['flaky', '--min-runs', '2', '--db', DB])).stdout
    expect(rows.map((r) => r.test).sort()).toEqual([victim, ...failing.map((tag) => idOf.get(tag)!)].sort())
    // The table keeps each row with its details: a newline in a title is shown as `\n`, never
    // obeyed. Only the commands (there to be copied) hold the exact id.
    let table = text
    for (const row of rows) table = table.replace(`next: ${row.command}`, 'next: …')
    const lines = table.split('\n').slice(2, -1)
    expect(lines[0]).toMatch(/^fails +rate +flip +entropy +class +test$/)
    expect(lines.filter((line) => /^\d+\/\d+ /.test(line))).toHaveLength(rows.length)
    for (const line of lines.slice(1)) expect(line, table).toMatch(/^(\d+\/\d+ | {6}\S)/)
    for (const row of rows) {
      expect(text).toContain(`next: ${row.command}\n`)
      if (row.test === victim) {
        expect(row.command).toBe(finding.command)
        continue
      }
      // `bisect RUN --test ID`: the test it bisects is exactly that one (it passes now: not reproduced).
      expect(row.command).toMatch(/^npx flakeseed bisect 1 --test /)
      const next = paste(project, row.command)
      expect(next.code, next.out).toBe(0)
      expect(next.out.match(/^victim {3}.*$/gm), next.out).toEqual([`victim   ${visible(row.test)}`])
      expect(next.out).toMatch(/^class {4}not reproduced/m)
    }
    // Nothing in a name ever reached the shell as code.
    expect(existsSync(join(project.dir, 'pwned'))).toBe(false)
  })
})
