// Ctrl-C, or a CI job's cancellation (SIGINT, SIGTERM): Vitest exits from its own handler without
// ending the run. `onInterrupt` runs a synchronous handler first, so the run can be recorded as
// interrupted before the process goes.

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/** Calls `handler` once on SIGINT or SIGTERM; returns the function that stops listening. */
export function onInterrupt(handler: () => void): () => void {
  // Were there no other listener (Vitest's own exits the process), ours would replace the
  // signal's default action: take that action after the handler. Counted when registering,
  // since Vitest's `once` listener is already off the list when ours runs.
  const alone = new Set(SIGNALS.filter((signal) => process.listenerCount(signal) === 0))
  const listener = (signal: NodeJS.Signals): void => {
    stop()
    handler()
    if (alone.has(signal as (typeof SIGNALS)[number])) process.kill(process.pid, signal)
  }
  const stop = () => {
    for (const signal of SIGNALS) process.off(signal, listener)
  }
  for (const signal of SIGNALS) process.once(signal, listener)
  return stop
}
