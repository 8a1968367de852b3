#!/usr/bin/env node
// The flakeseed command. Each command lives in its own file and only parses, calls the library and
// formats. Exit codes: 0 success, 1 the command found failures, 2 bad input or unusable DB.
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { EXIT, oneLineErrors, reportError } from './common.js'
import * as bisectCommand from './bisect.js'
import * as flakyCommand from './flaky.js'
import * as historyCommand from './history.js'
import * as mergeCommand from './merge.js'
import * as pruneCommand from './prune.js'
import * as replayCommand from './replay.js'
import * as reportCommand from './report.js'
import * as runsCommand from './runs.js'
import * as showCommand from './show.js'
import * as suspectsCommand from './suspects.js'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

async function action(fn: () => number | Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn()
  } catch (error) {
    process.exitCode = reportError(error)
  }
}

const program = new Command()
  .name('flakeseed')
  .description('Replay, bisect and measure the seeded test orders flakeseed recorded for Vitest.')
  .version(version)
  .exitOverride()

for (const command of [
  runsCommand,
  showCommand,
  historyCommand,
  replayCommand,
  bisectCommand,
  flakyCommand,
  suspectsCommand,
  reportCommand,
  mergeCommand,
  pruneCommand,
])
  command.register(program, action)
// Every usage mistake, on any command, is one line on stderr.
for (const command of [program, ...program.commands]) oneLineErrors(command)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; a usage mistake has already been printed in one line.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage
  } else {
    process.exitCode = reportError(error)
  }
}
