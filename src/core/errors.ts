// The one error type a user can cause and fix. The CLI prints it as one line without a stack and
// exits 2; the plugin throws it while Vitest loads the config. Anything else is a bug.

export class FlakeseedError extends Error {
  override name = 'FlakeseedError'
}
