// The in-run hunt's side of the reporter: whether to hunt, the lines after Vitest's summary, the
// job summary's section, and the exit code when the change introduced an order dependency.
import { endOfRunHunt, type ResolvedHunt } from '../src/plugin/hunt-option.js'
import { huntMarkdown, huntText } from '../src/hunt/report.js'
import { appendStepSummary } from './job-summary.js'
import { autoHunt } from './auto-hunt.js'
import { firstLine } from '../src/core/errors.js'
import { DEFAULT_HUNT_COST, DEFAULT_HUNT_SEEDS } from '../src/hunt/session.js'
import type { CommandOptions } from '../src/core/commands.js'
import { DEFAULT_BISECT_REPEAT } from '../src/core/defaults.js'

interface Logger {
  log(line: string): void
  warn(line: string): void
}

export interface HuntInJobInput {
  options: ResolvedHunt | undefined
  root: string
  db: string | false
  commands: CommandOptions
  /** Vitest's process environment (the hunt's own Vitest gets it without Vitest's markers). */
  env: NodeJS.ProcessEnv
  logger: Logger
}

export async function huntInJob(input: HuntInJobInput): Promise<void> {
  const { hunt, warning } = endOfRunHunt(input.options, input.env)
  if (warning) input.logger.warn(warning)
  if (!hunt) return
  input.logger.log(`flakeseed hunting the order dependencies this change introduces, within ${hunt.budget} s`)
  const session = {
    root: input.root,
    base: hunt.base,
    budget: hunt.budget,
    seeds: DEFAULT_HUNT_SEEDS,
    seedsWithin: DEFAULT_HUNT_COST,
    repeat: DEFAULT_BISECT_REPEAT,
    commands: input.commands,
  }
  const found = await autoHunt(input.db === false ? session : { ...session, db: input.db }, input.env)
  if ('error' in found) {
    input.logger.warn(`flakeseed: the hunt in this job failed: ${found.error} (exit code unchanged)`)
    return
  }
  if ('note' in found) {
    input.logger.log(`flakeseed hunt: ${found.note}; nothing hunted`)
    return
  }
  input.logger.log(huntText(found.result))
  const summary = input.env.GITHUB_STEP_SUMMARY
  if (summary) {
    try {
      appendStepSummary(summary, huntMarkdown(found.result))
    } catch (error) {
      input.logger.warn(`flakeseed: cannot write the job summary to ${summary}: ${firstLine(error)}`)
    }
  }
  const introduced = found.result.findings.filter((f) => f.introduced).length
  if (introduced && hunt.fail) {
    input.logger.log(
      `flakeseed hunt failed this run: this change introduced ${introduced === 1 ? 'an order dependency' : `${introduced} order dependencies`} (hunt: { fail: false } reports without failing)`,
    )
    process.exitCode = 1
  }
}
