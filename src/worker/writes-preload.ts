// Loaded with `--import` into the workers of the vm pools (the plugin adds it to the project's
// `execArgv`), before Vitest's worker code: in the vm pools every test file's context copies the
// functions of `node:fs` into its own module the first time something in it imports `node:fs`,
// which is before the runner could wrap them (src/worker/writes.ts). Installed here, in the
// worker's own realm, the copies are the wrappers.
import { installWrites } from './writes.js'

installWrites()
