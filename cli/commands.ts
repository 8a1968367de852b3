// Every command's arguments and options: what `--help` lists, declared without loading what the
// commands do. A command's own module (cli/<command>.ts: it parses, calls the library, formats) is
// loaded when that command runs, so `flakeseed --version` and each command load only their own code
// (`--version` loaded all thirteen, the fix's parser among them: 108 modules, 589 KB of ours).
import { availableParallelism } from 'node:os'
import type { Command } from 'commander'
import {
  DEFAULT_BISECT_REPEAT,
  DEFAULT_FIX_SEEDS,
  DEFAULT_HUNT_COST,
  DEFAULT_HUNT_SEEDS,
  DEFAULT_MAX_RUN_FAILURE_RATE,
  DEFAULT_MIN_RUNS,
  DEFAULT_QUARANTINE,
  DEFAULT_TOP,
  DEFAULT_WINDOW,
  jobsFor,
  MAX_JOBS,
} from '../src/core/defaults.js'
import { percent } from '../src/core/format.js'
import { DEFAULT_HUNT_BUDGET } from '../src/plugin/hunt-option.js'
import { budgetSeconds, type CommonOptions, nonEmpty, nonNegativeInt, percentage, positiveDays, positiveInt } from './common.js'
import type { Options as RunsOptions } from './runs.js'
import type { Options as HistoryOptions } from './history.js'
import type { Options as ReplayOptions } from './replay.js'
import type { Options as BisectOptions } from './bisect.js'
import type { Options as FixOptions } from './fix.js'
import type { Options as HuntOptions } from './hunt.js'
import type { Options as FlakyOptions } from './flaky.js'
import type { Options as SuspectsOptions } from './suspects.js'
import type { Options as ReportOptions } from './report.js'
import type { AddOptions as QuarantineAddOptions, FileOptions as QuarantineFileOptions } from './quarantine.js'
import type { Options as MergeOptions } from './merge.js'
import type { Options as PruneOptions } from './prune.js'

/** Runs a command's function and sets the exit code (cli/index.ts). */
export type Action = (fn: () => number | Promise<number>) => Promise<void>

/** Declares every command on `program`, in the order `--help` lists them. */
export function registerCommands(program: Command, action: Action): void {
  for (const register of [
    runsCommand,
    showCommand,
    historyCommand,
    replayCommand,
    bisectCommand,
    fixCommand,
    huntCommand,
    flakyCommand,
    suspectsCommand,
    reportCommand,
    quarantineCommand,
    mergeCommand,
    pruneCommand,
  ])
    register(program, action)
}

function runsCommand(program: Command, action: Action): void {
  program
    .command('runs')
    .description('recent runs (the shards of one build as one run): id, time, commit, branch, seed, shards, passed/failed/skipped, status')
    .option('--limit <n>', 'how many runs', positiveInt, 20)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: RunsOptions) => action(async () => (await import('./runs.js')).runs(options)))
}

function showCommand(program: Command, action: Action): void {
  program
    .command('show')
    .description('one run: metadata, executed order per file, failures with errors')
    .argument('<run>', 'run id, or last')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((ref: string, options: CommonOptions) => action(async () => (await import('./show.js')).show(ref, options)))
}

function historyCommand(program: Command, action: Action): void {
  program
    .command('history')
    .description('one test across runs (exact id or substring): state, seed, commit, position')
    .argument('<test>', 'test id ("file > describe > test") or part of it')
    .option('--limit <n>', 'how many results', positiveInt, 50)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((query: string, options: HistoryOptions) => action(async () => (await import('./history.js')).history(query, options)))
}

function replayCommand(program: Command, action: Action): void {
  program
    .command('replay')
    .description('run a recorded order again (or the order a seed gives); --repeat tells order-dependent from random failures')
    .argument('[run]', 'run id, or last (default: last)')
    .option('--seed <seed>', 'run the order this seed gives for the current tests instead of a recorded one', nonEmpty)
    .option('--only <tests...>', 'only these tests (ids or parts of ids), in their recorded relative order')
    .option('--repeat <k>', 'run the same order k times and count failures per test', positiveInt, 1)
    .option('--config <path>', 'Vitest config file (default: the one the recorded run used)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((ref: string | undefined, options: ReplayOptions) => action(async () => (await import('./replay.js')).replay(ref, options)))
}

function bisectCommand(program: Command, action: Action): void {
  program
    .command('bisect')
    .description('find the minimal set of earlier tests that makes a failing test fail (or, for a brittle test, pass)')
    .argument('[run]', 'run id, or last (default: last)')
    .option('--test <test>', 'the failing test to explain (default: each failing test of the run)')
    .option(
      '--repeat <k>',
      'runs per check; above 1 a result must hold up k times in a row, and a test that flips on one fixed order is reported as non-deterministic; 1 trusts every probe (fastest)',
      positiveInt,
      DEFAULT_BISECT_REPEAT,
    )
    .option(
      '--cleaners',
      'also find tests of the suite that undo the pollution when run between polluter and victim (searched anyway when no leak is the cause)',
    )
    .option('--no-diagnose', 'only find the culprits: skip finding what they left behind and the fix')
    .option(
      '--jobs <n>',
      `probes run side by side on up to n Vitest instances (default: one fewer than the cores, at most ${MAX_JOBS})`,
      positiveInt,
      jobsFor(availableParallelism()),
    )
    .option('--new', 'only the failing tests the history does not explain yet (no finding, not known broken), the newest failures first')
    .option(
      '--budget <seconds>',
      'stop after this many seconds for all of them together; a bisect cut short reports the smallest set found so far',
      budgetSeconds,
    )
    .option('--config <path>', 'Vitest config file (default: the one the recorded run used)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((ref: string | undefined, options: BisectOptions) => action(async () => (await import('./bisect.js')).bisectCommand(ref ?? 'last', options)))
}

function fixCommand(program: Command, action: Action): void {
  program
    .command('fix')
    .description('write the smallest patch that removes the cause of each failure of a run, verified without touching the project; --apply writes it')
    .argument('[run]', 'run id, or last (default: last)')
    .option('--test <test>', 'the failing test to fix (default: each failing test of the run)')
    .option('--all', 'every flaky test of the history an order breaks: one patch per polluter, verified together')
    .option('--apply', 'write the verified patch, only onto files byte-identical to what was verified')
    .option('--seeds <n>', 'seeds besides the recorded one under which every test of the files involved must pass', positiveInt, DEFAULT_FIX_SEEDS)
    .option('--no-bisect', 'only the failures a finding already explains: bisect none')
    .option('--config <path>', 'Vitest config file (default: the one the recorded run used)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((ref: string | undefined, options: FixOptions) =>
      action(async () => {
        const fix = await import('./fix.js')
        return options.all ? fix.fixAll(ref, options) : fix.fixRun(ref ?? 'last', options)
      }),
    )
}

function huntCommand(program: Command, action: Action): void {
  program
    .command('hunt')
    .description(
      'run what a change touches in targeted orders (reverse, each new test before the others, alone, seeds); fail on an order dependency the change introduced',
    )
    .option('--base <ref>', "the branch the change goes into (default: the CI's target branch, else origin/HEAD)")
    .option(
      '--budget <seconds>',
      `stop after this many seconds, a bisect under way included (default ${DEFAULT_HUNT_BUDGET})`,
      budgetSeconds,
      DEFAULT_HUNT_BUDGET,
    )
    .option(
      '--seeds <n>',
      `seeded orders after the targeted ones, budget permitting (default: up to ${DEFAULT_HUNT_SEEDS} while the hunt stays within ${DEFAULT_HUNT_COST}× a plain run of the affected files)`,
      nonNegativeInt,
    )
    .option('--repeat <k>', 'runs per bisect check of a failure found', positiveInt, DEFAULT_BISECT_REPEAT)
    .option('--config <path>', 'Vitest config file (default: Vitest’s own lookup)')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: HuntOptions) => action(async () => (await import('./hunt.js')).huntAction(options)))
}

function flakyCommand(program: Command, action: Action): void {
  program
    .command('flaky')
    .description('tests with mixed outcomes in recent runs: fail rate, flip rate, entropy, seeds, class, next command')
    .option(
      '--window <n>',
      `the newest n runs, the shards of one build counting as one (default ${DEFAULT_WINDOW}; all runs since --since when only that is given)`,
      positiveInt,
    )
    .option('--since <date>', 'only runs started on or after this date (YYYY-MM-DD or ISO date-time)')
    .option('--branch <name>', 'only runs on this branch')
    .option(
      '--max-run-failure-rate <percent>',
      `leave out runs in which more than this share of the tests failed (an outage, a broken install; default ${percent(DEFAULT_MAX_RUN_FAILURE_RATE)})`,
      percentage,
      DEFAULT_MAX_RUN_FAILURE_RATE,
    )
    .option('--min-runs <n>', `outcomes a test needs for a rate and a class other than suspected (default ${DEFAULT_MIN_RUNS})`, positiveInt, DEFAULT_MIN_RUNS)
    .option('--include-retries', 'show how often each test passed only on a retry, and its retries')
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: FlakyOptions) => action(async () => (await import('./flaky.js')).flaky(options)))
}

function suspectsCommand(program: Command, action: Action): void {
  program
    .command('suspects')
    .description('which earlier tests ran before a test more often when it failed than when it passed, from the history alone (statistical)')
    .argument('<test>', 'test id ("file > describe > test") or a part of it naming one recorded test')
    .option('--window <n>', `the newest n runs, the shards of one build counting as one (default ${DEFAULT_WINDOW})`, positiveInt)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((query: string, options: SuspectsOptions) => action(async () => (await import('./suspects.js')).suspects(query, options)))
}

function reportCommand(program: Command, action: Action): void {
  program
    .command('report')
    .description('write a self-contained HTML report: suite health over time, flakiest tests with their timelines, details')
    .requiredOption('--html <file>', 'the HTML file to write')
    .option('--window <n>', `the newest n runs (default ${DEFAULT_WINDOW}; all runs since --since when only that is given)`, positiveInt)
    .option('--since <date>', 'only runs started on or after this date (YYYY-MM-DD or ISO date-time)')
    .option('--branch <name>', 'only runs on this branch')
    .option(
      '--max-run-failure-rate <percent>',
      `leave out runs in which more than this share of the tests failed (default ${percent(DEFAULT_MAX_RUN_FAILURE_RATE)})`,
      percentage,
      DEFAULT_MAX_RUN_FAILURE_RATE,
    )
    .option('--min-runs <n>', `outcomes a test needs for a rate and a class other than suspected (default ${DEFAULT_MIN_RUNS})`, positiveInt, DEFAULT_MIN_RUNS)
    .option('--top <n>', `flaky tests shown in full, with timeline and details; the rest as a compact list (default ${DEFAULT_TOP})`, positiveInt, DEFAULT_TOP)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: ReportOptions) => action(async () => (await import('./report.js')).report(options)))
}

function quarantineCommand(program: Command, action: Action): void {
  const quarantine = program
    .command('quarantine')
    .description('tests whose failures do not fail the run: they still run and are recorded (the list is a file you commit)')
  const file = (c: Command) => c.option('--file <path>', `the quarantine list (default ${DEFAULT_QUARANTINE})`, DEFAULT_QUARANTINE)
  file(
    quarantine
      .command('add')
      .description('quarantine tests (exact ids, or parts of ids: every test containing it); each must match a recorded or current test')
      .argument('<tests...>', 'test ids ("file > describe > test") or parts of them')
      .requiredOption('--reason <text>', 'why (a ticket, a finding): shown wherever its failure is')
      .option('--until <date>', 'the last day it applies (YYYY-MM-DD); after it, its failures fail the run again')
      .option('--by <name>', 'who quarantines it (default: git user.name)')
      .option('--config <path>', 'Vitest config to collect current tests with, for tests never recorded'),
  )
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((tests: string[], options: QuarantineAddOptions) => action(async () => (await import('./quarantine.js')).add(tests, options)))
  file(quarantine.command('list').description('every entry: reason, expiry, what it matches, its outcomes since added, the finding'))
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: QuarantineFileOptions) => action(async () => (await import('./quarantine.js')).list(options)))
  file(
    quarantine
      .command('remove')
      .description('take entries off the list (as written in it: the id, or the part of ids)')
      .argument('<tests...>', 'entries to remove'),
  )
    .option('--json', 'print JSON')
    .action((tests: string[], options: QuarantineFileOptions) => action(async () => (await import('./quarantine.js')).remove(tests, options)))
}

function mergeCommand(program: Command, action: Action): void {
  program
    .command('merge')
    .description('merge history DBs (CI shards, parallel jobs) into one; runs already there are skipped (by uuid)')
    .argument('<dbs...>', 'history databases to merge (read only)')
    .option('--into <path>', 'the database to merge into (created when missing)')
    .option('--db <path>', 'the same as --into: the history database this command works on')
    .option('--json', 'print JSON')
    .action((dbs: string[], options: MergeOptions) => action(async () => (await import('./merge.js')).merge(dbs, options)))
}

function pruneCommand(program: Command, action: Action): void {
  program
    .command('prune')
    .description('delete old runs with their results and findings, then VACUUM; runs still recording stay')
    .option('--keep <n>', 'keep the newest N runs (the shards of one build count as one run) and the replays since', positiveInt)
    .option('--older-than <days>', 'delete runs that started more than DAYS days ago (fractions allowed)', positiveDays)
    .option('--db <path>', 'history database')
    .option('--json', 'print JSON')
    .action((options: PruneOptions) => action(async () => (await import('./prune.js')).prune(options)))
}
