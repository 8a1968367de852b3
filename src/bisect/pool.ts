// Probes on several Vitest instances at once (`bisect --jobs N`). Every probe starts fresh
// workers of its own, so probes of one plan never share a process; what they can share is the
// project folder. The first probe runs alone, with the project's files put back after it: when it
// created, changed or deleted files there, probes could see each other's, so the pool stays at one
// job (and says so). Otherwise the others run side by side, and what their tests wrote is put back
// once, when the pool closes (`ProbeFiles`: only the area the tests write, never anyone else's edits).
// Each victim starts anew (`nextVictim`): its first probe runs alone again and the pool decides again.
import type { DiagnoseRequest, PlanExecutor, PlanResult } from '../run/execute.js'
import type { TreeSnapshot } from '../diagnose/files.js'
import type { ProbeFiles } from '../run/probe-files.js'
import type { Plan } from '../core/order.js'

export class ProbePool {
  private readonly executors: PlanExecutor[] = []
  private readonly idle: PlanExecutor[] = []
  private readonly waiting: Array<() => void> = []
  private starting = 0
  /** Instances running a probe now. */
  private busy = 0
  private first: Promise<void> | undefined
  private tree: TreeSnapshot | undefined
  /** The first probe has shown whether probes may run side by side. */
  private decided = false
  /** Why the pool runs fewer jobs than asked, for one line of output. */
  note: string | undefined

  constructor(
    private readonly create: () => Promise<PlanExecutor>,
    private jobs: number,
    private readonly files: ProbeFiles,
  ) {}

  /** Probes that may run at once now. */
  get size(): number {
    return this.jobs
  }

  async run(plan: Plan, diagnose?: DiagnoseRequest): Promise<PlanResult> {
    if (!this.first) {
      let settle!: () => void
      this.first = new Promise((done) => (settle = done))
      try {
        if (this.jobs > 1) this.tree = this.files.beforeProbe()
        const executor = await this.acquire()
        // The other instances start while the first probe runs: starting Vitest takes a while.
        if (this.jobs > 1) void this.prestart(this.jobs - this.executors.length - this.starting)
        try {
          const result = await executor.run(plan, diagnose)
          if (this.jobs > 1) this.decide(result)
          return result
        } finally {
          this.release(executor)
        }
      } finally {
        settle()
      }
    }
    await this.first
    const executor = await this.acquire()
    try {
      return await executor.run(plan, diagnose)
    } finally {
      this.release(executor)
    }
  }

  /**
   * A new victim's probes start: its culprits may write where no earlier probe's tests did. Side
   * by side, what earlier probes wrote is put back now and that probe runs alone again, with the
   * per-probe restore, deciding again whether the rest may run side by side. Called between
   * probes, never during one.
   */
  nextVictim(): void {
    if (!this.first || this.jobs === 1) return
    if (this.tree) this.files.putBack(this.tree)
    this.tree = undefined
    this.first = undefined
    this.decided = false
    for (const executor of this.executors) executor.restoreFiles = true
  }

  /** Starts `count` more instances now, idle until wanted. */
  private prestart(count: number): Promise<void> {
    return Promise.all(
      Array.from({ length: count }, async () => {
        this.starting++
        try {
          const executor = await this.create()
          if (this.decided && this.jobs > 1) executor.restoreFiles = false
          this.executors.push(executor)
          this.idle.push(executor)
          this.waiting.shift()?.()
        } catch {
          // Started again on demand; an error then is the caller's.
        } finally {
          this.starting--
        }
      }),
    ).then(() => undefined)
  }

  /** After the first probe: side by side only when probes leave the project's files alone. */
  private decide(result: PlanResult): void {
    this.decided = true
    // Rewriting a file with the same bytes counts too: side by side, another probe could read it mid-write.
    if (result.filesTouched) {
      this.jobs = 1
      this.note = `probes write files in the project (${result.filesTouched}), so they run one at a time (--jobs 1)`
      this.tree = undefined
      return
    }
    for (const executor of this.executors) executor.restoreFiles = false
  }

  private async acquire(): Promise<PlanExecutor> {
    for (;;) {
      if (this.busy < this.jobs) {
        const free = this.idle.pop()
        if (free) {
          this.busy++
          return free
        }
        if (this.executors.length + this.starting < this.jobs) {
          this.busy++
          this.starting++
          try {
            const executor = await this.create()
            // Created after the first probe showed files are left alone: no per-probe cleanup.
            if (this.decided && this.jobs > 1) executor.restoreFiles = false
            this.executors.push(executor)
            return executor
          } catch (error) {
            this.busy--
            throw error
          } finally {
            this.starting--
          }
        }
      }
      await new Promise<void>((wake) => this.waiting.push(wake))
    }
  }

  private release(executor: PlanExecutor): void {
    this.busy--
    this.idle.push(executor)
    this.waiting.shift()?.()
  }

  /** Closes every Vitest instance and puts back the project's files (side by side mode). */
  async close(): Promise<void> {
    await Promise.all(this.executors.map((e) => e.close()))
    if (this.tree) this.files.putBack(this.tree)
  }
}
