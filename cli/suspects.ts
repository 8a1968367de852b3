import { rankTally, type Suspect, shownSuspects, tallySuspects } from '../src/analysis/suspects.js'
import { bisectCommand } from '../src/core/commands.js'
import { DEFAULT_WINDOW } from '../src/core/defaults.js'
import { plural, suspectText } from '../src/core/format.js'
import { suspectRuns, windowRuns } from '../src/store/suspects.js'
import { commandOptions, openStore, printJson, resolveTest, type CommonOptions } from './common.js'

export interface Options extends CommonOptions {
  window?: number
}

export function suspects(query: string, options: Options): number {
  const store = openStore(options)
  let test: string
  let runs: ReturnType<typeof suspectRuns>
  let window: number
  try {
    test = resolveTest(store, query)
    window = windowRuns(store, options.window ?? DEFAULT_WINDOW).length
    runs = suspectRuns(store, test, { window: options.window })
  } finally {
    store.close()
  }
  const tally = tallySuspects(runs)
  const ranking = rankTally(tally)
  const failing = runs.filter((r) => r.state === 'failed')
  const passing = runs.length - failing.length
  if (options.json) {
    printJson({ test, runs: { failing: failing.length, passing }, suspects: ranking })
    return 0
  }
  console.log(`${test}: failed in ${failing.length} and passed in ${passing} of the last ${plural(window, 'run')}`)
  if (!failing.length || !passing) {
    console.log(`no suspects: the history needs a failing run and a passing run to compare`)
    return 0
  }
  if (!ranking.length) {
    console.log('no suspects: every test before it did so as often in its failing runs as in its passing ones')
    return 0
  }
  console.log('statistical: the tests that shared its process before it, by how much more often they did when it failed (nothing was rerun)')
  for (const s of ranking) console.log(line(s))
  const shown = shownSuspects(tally)
  console.log(
    shown.length
      ? `${shown.length} ${shown.length === 1 ? 'stands' : 'stand'} out from chance (flakeseed flaky shows ${shown.length === 1 ? 'it' : 'them'}): ${shown.map((s) => s.test).join(', ')}`
      : 'none stands out from chance yet: more failing and passing runs will tell',
  )
  // The newest failing run: bisect verifies a suspect there.
  console.log(`verify: ${bisectCommand(failing.at(-1)!.run, { ...commandOptions(options), test })}`)
  return 0
}

function line(s: Suspect): string {
  return `suspect  ${suspectText(s)} (score ${s.score.toFixed(2)})`
}
