#!/usr/bin/env node
// The flakeseed command. Each command lives in its own file and only parses, calls the library and
// formats. Exit codes: 0 success, 1 the command found failures, 2 bad input or unusable DB.
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { registerCommands } from './commands.js'
import { dashedArgument, EXIT, oneLineErrors, reportError } from './common.js'

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

// Each command's module is loaded when it runs (cli/commands.ts).
registerCommands(program, action)
// Every usage mistake, on any command and subcommand, is one line on stderr.
const everyCommand = (command: Command): Command[] => [command, ...command.commands.flatMap(everyCommand)]
for (const command of everyCommand(program)) oneLineErrors(command)

// `history -x.test.ts…`: a test whose file starts with `-` is still the argument.
const [name, ...rest] = process.argv.slice(2)
const history = program.commands.find((c) => c.name() === 'history')!
const args = name === 'history' ? [name, ...dashedArgument(history, rest)] : process.argv.slice(2)

try {
  await program.parseAsync(args, { from: 'user' })
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; a usage mistake has already been printed in one line.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage
  } else {
    process.exitCode = reportError(error)
  }
}
