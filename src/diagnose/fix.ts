// From a verified leak to the smallest remedy, in the user's terms: a Vitest config switch where
// one exists for the way the state was changed (a spy: `restoreMocks`; `vi.stubEnv`:
// `unstubEnvs`; `vi.stubGlobal`: `unstubGlobals`), else the line of code that undoes it and where
// it goes. Pure: the coordinator verifies whichever it picks.
import type { Fix, Leak } from '../core/model.js'
import { NAME_SEPARATOR } from '../core/names.js'

/** How the culprits changed the state, as the diagnosis probe saw it. */
export interface LeakOrigin {
  /** Names the culprits set through `vi.stubEnv`. */
  stubbedEnv: readonly string[]
  /** Names the culprits set through `vi.stubGlobal`. */
  stubbedGlobal: readonly string[]
}

/** A config switch that removes this leak before every test, if Vitest has one for it. */
export function configFix(leak: Leak, origin: LeakOrigin): Omit<Fix, 'verified'> | undefined {
  // How it was changed decides the switch: a global stubbed with a vi.fn() is a stub first.
  if (leak.what.startsWith('process.env.') && origin.stubbedEnv.includes(leak.what.slice('process.env.'.length))) {
    return { suggestion: 'unstubEnvs: true in the Vitest config (or vi.unstubAllEnvs() in an afterEach)', config: { unstubEnvs: true }, how: 'config-rerun' }
  }
  if (leak.what.startsWith('globalThis.') && origin.stubbedGlobal.includes(leak.what.slice('globalThis.'.length))) {
    return {
      suggestion: 'unstubGlobals: true in the Vitest config (or vi.unstubAllGlobals() in an afterEach)',
      config: { unstubGlobals: true },
      how: 'config-rerun',
    }
  }
  if (leak.kind === 'mock' && leak.what.endsWith(' calls')) {
    return {
      suggestion: 'clearMocks: true in the Vitest config (or vi.clearAllMocks() in a beforeEach)',
      config: { clearMocks: true },
      how: 'config-rerun',
    }
  }
  if (leak.kind === 'mock') {
    return {
      suggestion: 'restoreMocks: true in the Vitest config (or vi.restoreAllMocks() in an afterEach)',
      config: { restoreMocks: true },
      how: 'config-rerun',
    }
  }
  return undefined
}

/** The code that undoes a leak, and where: what the undo probe did, said as a change to the test. */
export function codeFix(leak: Leak, culprit: string): Omit<Fix, 'verified'> {
  const where = `in an afterEach of '${title(culprit)}'`
  const unset = leak.before === '(unset)' || leak.before === '(absent)'
  const was = leak.before === '(hidden)' ? '' : ` (to ${leak.before})`
  let suggestion: string
  switch (leak.kind) {
    case 'env':
      suggestion = unset ? `delete ${leak.what} ${where}` : `restore ${leak.what}${was} ${where}`
      break
    case 'global':
      suggestion = unset ? `delete ${leak.what} ${where}` : `restore ${leak.what}${was} ${where}`
      break
    case 'mock':
      suggestion = leak.what.endsWith(' calls')
        ? `clear the ${leak.what.slice(0, -' calls'.length)} (mockClear()) ${where}`
        : `restore ${leak.what} (mockRestore(), or vi.restoreAllMocks()) ${where}`
      break
    case 'timers':
      suggestion = `vi.useRealTimers() ${where}`
      break
    case 'module': {
      // `src/settings.ts: settings.locale` → `settings.locale of src/settings.ts`
      const [file, path] = [leak.what.slice(0, leak.what.indexOf(': ')), leak.what.slice(leak.what.indexOf(': ') + 2)]
      suggestion =
        collectionFix(path, file, leak.before, where) ??
        (unset ? `delete ${path} of ${file} ${where}` : `restore ${path} of ${file}${was} after '${title(culprit)}'`)
      break
    }
    case 'process':
      suggestion =
        leak.what === 'process.cwd()'
          ? `process.chdir() back${was} ${where}`
          : leak.what === 'process.exitCode'
            ? `reset process.exitCode ${where}`
            : `remove the ${leak.what.replace(/ listeners$/, ' listener')} it added, ${where}`
      break
    case 'dom':
      suggestion = leak.what === 'document.body' ? `clear document.body (testing-library's cleanup()) ${where}` : `remove ${leak.what} ${where}`
      break
    case 'file':
      suggestion = unset ? `delete ${leak.what} ${where}` : `restore ${leak.what} ${where}`
      break
    case 'scope':
      suggestion = `give the test its own ${leak.what.split(' ')[0]} instead of one shared through the describe`
      break
  }
  return { suggestion, how: 'undo-rerun' }
}

/**
 * A Map, Set or array is put back in place (the undo probe did so: a top-level export's binding
 * cannot be assigned, and other modules hold the same object).
 */
function collectionFix(path: string, file: string, before: string, where: string): string | undefined {
  const kind = /^a (Map|Set) of (\d+)$/.exec(before)
  const array = before.startsWith('[') || /^an array of \d+$/.test(before)
  if (!kind && !array) return undefined
  const empty = kind ? kind[2] === '0' : before === '[]'
  // The statement as written in the polluter's file: the whole path, as the module's export is imported there.
  if (empty) return `empty ${path} of ${file} in place (${kind ? `${path}.clear()` : `${path}.length = 0`}) ${where}`
  return `put back the entries of ${path} of ${file} in place (to ${before}) ${where}`
}

/** For a brittle test: it needs what its state setter leaves; it should set it up itself. */
export function setupFix(leak: Leak, victim: string, setter: string): Omit<Fix, 'verified'> {
  const what = leak.kind === 'module' ? leak.what.replace(/^[^:]*: /, '') : leak.what
  return {
    suggestion: `set up ${what}${leak.after === '(hidden)' ? '' : ` (${leak.after})`} in '${title(victim)}' itself (a beforeEach): today only '${title(setter)}' does`,
    how: 'undo-rerun',
  }
}

/** Statements of a cleaner that check rather than change: not what undoes the pollution. */
const CHECK = /^(expect|assert)\b|^await expect\b/

/**
 * A cleaner test as a fix: the statements its body runs (from its source), to run in an
 * afterEach of the polluter; or, when they cannot be read, that no fix was found.
 */
export function cleanerFix(cleaners: readonly string[], statements: ReadonlyArray<readonly string[] | undefined>, polluter: string): Omit<Fix, 'verified'> {
  const names = cleaners.map((c) => `'${title(c)}'`).join(', ')
  const ran = `running ${names} between them makes it pass`
  const code = statements.every((s) => s !== undefined) ? statements.flatMap((s) => s!.filter((line) => !CHECK.test(line))) : []
  if (!code.length)
    return {
      suggestion: `${ran}; no fix found: what in ${cleaners.length === 1 ? 'its' : 'their'} code undoes the pollution could not be read`,
      how: 'cleaner',
    }
  const shown = code.slice(0, 4).map((line) => `\`${line.length > 80 ? `${line.slice(0, 79)}…` : line}\``)
  const more = code.length > 4 ? ` and ${code.length - 4} more statements` : ''
  return { suggestion: `${ran}; it runs ${shown.join('; ')}${more}: run that in an afterEach of '${title(polluter)}'`, how: 'cleaner' }
}

/** A test's own title (or a describe's), from its id. */
function title(id: string): string {
  return id.slice(id.lastIndexOf(NAME_SEPARATOR) + NAME_SEPARATOR.length)
}
