// Delta debugging over an abstract probe. Pure: it knows nothing of Vitest, SQLite or the
// terminal, so its probe counts can be proved with a fake probe and the CLI can render its
// events however it likes (plain progress, verbose, or nothing under --json).
//
// The search is a binary search over *prefixes* of the candidates, repeated once per culprit:
//   1. Find the shortest prefix that, followed by the culprits pinned so far, reproduces the
//      target. Its last item is needed: one item shorter did not reproduce. Pin it.
//   2. Probe the pinned culprits alone. If they reproduce, stop; otherwise the items before the
//      last pin hold more culprits that only act together with the pinned ones: go to 1 on
//      that shorter prefix.
// Step 1's first probe is the first half alone, and when it reproduces the search continues
// inside it, as in ddmin. When it does not, the second half is searched *with the first half
// kept in front* instead of being probed alone: one probe per halving instead of two, which is
// what keeps a single culprit within ⌈log₂ n⌉ + 1 probes, and culprits that only act together
// across the halves are found without ddmin's finer-granularity rounds. Prefixes also keep
// every probe close to an order that really ran: earlier tests in their recorded order.
//
// For a monotone probe (the target shows whenever all culprits are present) the result is
// exactly the culprit set. A final pass makes it 1-minimal for any deterministic probe.

/** The victim's outcome in one probe. */
export type ProbeOutcome = 'pass' | 'fail'

/**
 * Runs `candidates` in the given relative order, then the victim, and returns the victim's
 * outcome. Callers may run it however they like (one Vitest process, a child process); the
 * search only ever passes an order-preserving subsequence of the original candidates.
 */
export type Probe<T> = (candidates: readonly T[]) => Promise<ProbeOutcome>

export type BisectEvent<T> =
  /** One call of the probe; `attempt` counts up to `repeat` for one candidate set. */
  | { type: 'probe'; index: number; attempt: number; candidates: readonly T[]; outcome: ProbeOutcome }
  /**
   * After each decision. `remaining` is where the next culprit is being looked for (it halves
   * probe by probe), `found` the culprits pinned so far, `best` the smallest set seen to
   * reproduce — what an interrupted search would report.
   */
  | { type: 'progress'; remaining: readonly T[]; found: readonly T[]; best: readonly T[] }

export interface MinimizeOptions<T> {
  /**
   * Runs per candidate set before accepting that it does NOT reproduce (default 1). One run
   * showing the target is accepted at once: the caller has established that the victim does
   * not show the target without a cause (probe([]) never does), so a run that shows it must
   * have its cause among the candidates, while a run that misses it may just be a cause that
   * does not always show (timing, leaked async work). A victim that flips on its own is
   * non-deterministic (NOD): the caller reports that instead of bisecting, since no repeat
   * count would make this search trustworthy for it.
   */
  repeat?: number
  onEvent?: (event: BisectEvent<T>) => void
  /**
   * Stops the search before its next probe (Ctrl-C). The result is then the smallest set seen
   * to reproduce. A probe that is running when the signal fires may have been cut short, so
   * its outcome is ignored (it still counts in `probes`: it ran); if it rejects, the rejection
   * is swallowed.
   */
  signal?: AbortSignal
  /**
   * Probes that may run at once (default 1): each halving then becomes one round of `parallel`
   * probes that cut the remaining range into `parallel + 1` parts, so a culprit among n is found
   * in ⌈log_(parallel+1) n⌉ rounds instead of ⌈log₂ n⌉ probes one after another.
   */
  parallel?: number
}

export interface MinimizeResult<T> {
  /** In the candidates' original relative order. */
  minimal: T[]
  /** Every call of the probe, repeats included. */
  probes: number
  aborted: boolean
}

/** Unwinds the search from inside a probe call; never escapes `minimize`. */
class Aborted {}

/**
 * Finds a 1-minimal subset of `candidates` that makes the probe give `target`: 'fail' for the
 * polluters of a victim that passes alone, 'pass' for the state-setters of a brittle victim
 * (or for cleaners). The caller has already checked that all candidates give `target` and that
 * none give the other outcome; those two probes are not repeated here.
 */
export async function minimize<T>(
  candidates: readonly T[],
  probe: Probe<T>,
  target: ProbeOutcome,
  options: MinimizeOptions<T> = {},
): Promise<MinimizeResult<T>> {
  const repeat = options.repeat ?? 1
  if (!Number.isInteger(repeat) || repeat < 1) {
    throw new RangeError(`repeat must be a positive integer, got ${repeat}`)
  }
  const trials = new Trials(candidates, probe, target, repeat, options)
  const parallel = Math.max(1, Math.floor(options.parallel ?? 1))
  try {
    const pinned = await pinCulprits(candidates, trials, parallel)
    return { minimal: await dropRedundant(pinned, trials), probes: trials.probes, aborted: false }
  } catch (error) {
    if (error instanceof Aborted) return { minimal: [...trials.best], probes: trials.probes, aborted: true }
    throw error
  }
}

/** The probe as the search calls it: repeats, the count, the smallest set seen to reproduce, events. */
class Trials<T> {
  probes = 0
  best: readonly T[]

  constructor(
    candidates: readonly T[],
    private readonly probe: Probe<T>,
    private readonly target: ProbeOutcome,
    private readonly repeat: number,
    private readonly options: Pick<MinimizeOptions<T>, 'onEvent' | 'signal'>,
  ) {
    this.best = candidates
  }

  /** Whether `set` gives the target within `repeat` runs. */
  async reproduces(set: readonly T[]): Promise<boolean> {
    const { signal, onEvent } = this.options
    for (let attempt = 1; attempt <= this.repeat; attempt++) {
      if (signal?.aborted) throw new Aborted()
      this.probes++
      let outcome: ProbeOutcome
      try {
        outcome = await this.probe(set)
      } catch (error) {
        if (signal?.aborted) throw new Aborted()
        throw error
      }
      if (signal?.aborted) throw new Aborted()
      onEvent?.({ type: 'probe', index: this.probes, attempt, candidates: set, outcome })
      if (outcome === this.target) {
        if (set.length < this.best.length) this.best = set
        return true
      }
    }
    return false
  }

  progress(remaining: readonly T[], found: readonly T[]): void {
    this.options.onEvent?.({ type: 'progress', remaining, found: [...found], best: this.best })
  }
}

/**
 * The culprits, pinned one per search of the shortest reproducing prefix. Each was pinned at the
 * end of the prefix searched, so they all come after what is left to search and `prefix ++ found`
 * keeps the original order.
 */
async function pinCulprits<T>(candidates: readonly T[], trials: Trials<T>, parallel: number): Promise<T[]> {
  let found: T[] = []
  // Invariants: candidates[0, hi) ++ found reproduces; candidates[0, lo) ++ found does not.
  let lo = 0
  let hi = candidates.length
  while (hi > 0) {
    lo = await shortestPrefix(candidates, found, lo, hi, trials, parallel)
    found = [candidates[lo] as T, ...found]
    hi = lo
    // A pin at position 0 makes `found` the very set that reproduced at hi = 1: no probe.
    if (hi === 0 || (await trials.reproduces(found))) break
    lo = 0
    trials.progress(candidates.slice(lo, hi), found)
  }
  return found
}

/** Narrows [lo, hi) to the one position whose prefix (with `found`) is the shortest that reproduces; returns it. */
async function shortestPrefix<T>(candidates: readonly T[], found: readonly T[], lo: number, hi: number, trials: Trials<T>, parallel: number): Promise<number> {
  while (hi - lo > 1) {
    if (parallel > 1) {
      // Probes side by side: `parallel` prefixes that cut [lo, hi) into equal parts, all at
      // once. The shortest that reproduces is the new hi, the longest below it that does
      // not the new lo: fewer rounds of probes for the same invariants.
      const cuts = cutPoints(lo, hi, parallel)
      const results = await Promise.all(cuts.map((cut) => trials.reproduces([...candidates.slice(0, cut), ...found])))
      const first = results.indexOf(true)
      if (first >= 0) hi = cuts[first]!
      lo = Math.max(lo, ...cuts.filter((cut, i) => !results[i] && cut < hi))
    } else {
      const mid = lo + Math.floor((hi - lo) / 2)
      if (await trials.reproduces([...candidates.slice(0, mid), ...found])) hi = mid
      else lo = mid
    }
    trials.progress(candidates.slice(lo, hi), found)
  }
  return lo
}

/**
 * Each pin was needed given everything in front of it, which for a monotone probe means needed
 * in the final set too, so every probe here says "needed" and nothing is dropped. Tests that
 * interact non-monotonically (a cleaner between two polluters) can make a pin redundant once
 * others are pinned; dropping it is what makes the result 1-minimal. The last pin (first in
 * `found`) needs no probe: the set without it is the pinned set that did not reproduce. After a
 * drop every pin is tried again, that one included.
 */
async function dropRedundant<T>(pinned: readonly T[], trials: Trials<T>): Promise<T[]> {
  let found = [...pinned]
  let knownNeeded = 0
  let dropped = true
  while (dropped && found.length > 1) {
    dropped = false
    for (let i = 0; i < found.length; i++) {
      if (i === knownNeeded) continue
      const without = found.filter((_, j) => j !== i)
      dropped = await trials.reproduces(without)
      if (dropped) found = without
      trials.progress(found, found)
      if (dropped) break
    }
    knownNeeded = -1
  }
  return found
}

/** Up to `parts` distinct positions strictly inside (lo, hi) that cut it into equal parts. */
export function cutPoints(lo: number, hi: number, parts: number): number[] {
  const cuts = new Set<number>()
  for (let i = 1; i <= parts; i++) {
    const cut = lo + Math.round(((hi - lo) * i) / (parts + 1))
    if (cut > lo && cut < hi) cuts.add(cut)
  }
  return [...cuts].sort((a, b) => a - b)
}
