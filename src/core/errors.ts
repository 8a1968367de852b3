// The one error type a user can cause and fix. The CLI prints it as one line without a stack and
// exits 2; the plugin throws it while Vitest loads the config. Anything else is a bug.

export class FlakeseedError extends Error {
  override name = 'FlakeseedError'
}

/** The first line of an error's message (of anything thrown): what a one-line warning shows. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : String((error as { message?: unknown } | null)?.message ?? error)
  return message.split('\n')[0] ?? ''
}
