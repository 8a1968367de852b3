// The flakeseed reporter: prints the seed line and (next) records the run in SQLite.
import type { Reporter, TestSpecification, Vitest } from 'vitest/node'
import type { Session } from '../src/session.js'

export class FlakeseedReporter implements Reporter {
  private vitest!: Vitest

  constructor(
    private readonly session: Session,
    private readonly dbPath: string | false,
  ) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest
  }

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    const projects = new Set(specifications.map((s) => s.project.name)).size
    const files = specifications.length
    const parts = [`flakeseed seed ${this.session.seed}`]
    if (projects > 1) parts.push(`${projects} projects`)
    parts.push(`${files} file${files === 1 ? '' : 's'} shuffled`)
    this.vitest.logger.log(parts.join(' · '))
  }
}
