// The package's entry: `import flakeseed from 'flakeseed'` in a vitest.config.ts. The plugin itself
// lives in src/plugin/; this file only names what the package exports.
export { default } from './plugin/index.js'
export type { AutoClass, FlakeseedOptions, QuarantineOption, SeedOption } from './plugin/options.js'
export { FlakeseedError } from './core/errors.js'
export type { Plan, PlanFile } from './core/order.js'
