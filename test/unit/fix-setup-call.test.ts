// The `call-setup` remedy on source strings: a brittle test given its setter's call (yup's
// `setLocale(dict)`), in its own body when its describe has other tests, in a beforeEach when it
// is alone there, the setter's change restored after the setter when asked; and no patch, with
// why, when the call needs what only the setter has.
import { describe, expect, test } from 'vitest'
import type { Finding } from '../../src/core/model.js'
import { type PatchInput, planPatches, type Remedy } from '../../src/fix/types.js'
import { TRANSLATE_TEST as CODE } from '../fixtures/leaks.mjs'

const ROOT = '/project'
const LEAK = 'src/locale.ts: messages.greeting'

function brittle(victim: string, setter: string): Finding {
  return {
    victim,
    kind: 'brittle',
    polluters: [],
    stateSetters: [setter],
    cleaners: [],
    probes: 6,
    leaks: [{ kind: 'module', what: LEAK, before: "'Hello'", after: "'Hallo'", verified: true, by: setter }],
  }
}

async function plan(files: Record<string, string>, f: Finding, options: Partial<PatchInput> = {}): Promise<Remedy | string> {
  const result = await planPatches({ root: ROOT, finding: f, read: (path) => files[path.slice(ROOT.length + 1)], ...options })
  if ('none' in result) return result.none
  expect(result.remedies).toHaveLength(1)
  return result.remedies[0]!
}

const SAME_FILE = [
  "import { describe, expect, it } from 'vitest';",
  "import { messages, setLocale } from '../src/locale';",
  '',
  "describe('locale', () => {",
  "  it('greets in english', () => {",
  "    expect(messages.greeting).toBe('Hello');",
  '  });',
  '',
  "  it('sets a new locale', () => {",
  "    const german = { greeting: 'Hallo' };",
  '    setLocale(german);',
  "    expect(messages.greeting).toBe('Hallo');",
  '  });',
  '',
  "  it('greets in the new locale', () => {",
  "    expect(messages.greeting).toBe('Hallo');",
  '  });',
  '});',
  '',
].join('\n')
const FILE = 'test/locale.test.ts'
const SETTER = `${FILE} > locale > sets a new locale`
const VICTIM = `${FILE} > locale > greets in the new locale`

const RESTORE_IN_TEST = [
  "    const saved = Object.getOwnPropertyDescriptor(messages, 'greeting');",
  '    onTestFinished(() => {',
  "      if (saved) Object.defineProperty(messages, 'greeting', saved);",
  "      else Reflect.deleteProperty(messages, 'greeting');",
  '    });',
  "    const german = { greeting: 'Hallo' };",
  '    setLocale(german);',
  '',
]

describe('a brittle test whose setter calls setLocale', () => {
  test('with siblings in its describe: the call and its declaration at the start of its body, the value put back in onTestFinished', async () => {
    const remedy = await plan({ [FILE]: SAME_FILE }, brittle(VICTIM, SETTER))
    if (typeof remedy === 'string') throw new Error(remedy)
    expect(remedy.kind).toBe('call-setup')
    expect(remedy.summary).toBe(
      "set up messages.greeting of src/locale.ts in 'greets in the new locale' by repeating 'sets a new locale's setLocale(german), and put it back after",
    )
    expect(remedy.edits[0]!.after).toBe(
      SAME_FILE.replace('import { describe, expect, it }', 'import { describe, expect, it, onTestFinished }').replace(
        "  it('greets in the new locale', () => {\n",
        `  it('greets in the new locale', () => {\n${RESTORE_IN_TEST.join('\n')}\n`,
      ),
    )
  })

  test('when the change breaks others (undo): also saved and put back around each test of the setter’s describe, in the same edit', async () => {
    const remedy = await plan({ [FILE]: SAME_FILE }, brittle(VICTIM, SETTER), { undo: [LEAK] })
    if (typeof remedy === 'string') throw new Error(remedy)
    expect(remedy.summary).toMatch(
      /; and save messages\.greeting of src\/locale\.ts before each test and put it back after in describe 'locale' of test\/locale\.test\.ts$/,
    )
    expect(remedy.edits).toHaveLength(1)
    expect(remedy.edits[0]!.after).toContain(
      [
        "describe('locale', () => {",
        '  beforeEach(() => {',
        "    const saved = Object.getOwnPropertyDescriptor(messages, 'greeting');",
        '    return () => {',
      ].join('\n'),
    )
    expect(remedy.edits[0]!.after).toContain(RESTORE_IN_TEST.join('\n'))
  })

  test('alone in its describe, the setter in another file under another name: a beforeEach there, the import added, the name as this file has it', async () => {
    const setterFile = [
      "import { test } from 'vitest'",
      "import { setLocale as useLocale } from '../src/locale'",
      '',
      "test('switches to german', async () => {",
      "  const greeting = 'Hallo'",
      '  const german = { greeting }',
      '  await useLocale(german)',
      '})',
      '',
    ].join('\n')
    const victimFile = [
      "import { describe, expect, test } from 'vitest'",
      "import { greet } from '../src/greet'",
      '',
      "describe('greeting', () => {",
      "  test('greets in german', () => {",
      "    expect(greet()).toBe('Hallo')",
      '  })',
      '})',
      '',
    ].join('\n')
    const f = brittle('test/greet.test.ts > greeting > greets in german', 'test/german.test.ts > switches to german')
    const remedy = await plan({ 'test/german.test.ts': setterFile, 'test/greet.test.ts': victimFile }, f)
    if (typeof remedy === 'string') throw new Error(remedy)
    expect(remedy.edits.map((e) => e.path)).toEqual(['test/greet.test.ts'])
    expect(remedy.edits[0]!.after).toBe(
      [
        "import { beforeEach, describe, expect, test } from 'vitest'",
        "import { greet } from '../src/greet'",
        "import { messages, setLocale } from '../src/locale'",
        '',
        "describe('greeting', () => {",
        '  beforeEach(async () => {',
        "    const saved = Object.getOwnPropertyDescriptor(messages, 'greeting')",
        "    const greeting = 'Hallo'",
        '    const german = { greeting }',
        '    await setLocale(german)',
        '    return () => {',
        "      if (saved) Object.defineProperty(messages, 'greeting', saved)",
        "      else Reflect.deleteProperty(messages, 'greeting')",
        '    }',
        '  })',
        '',
        "  test('greets in german', () => {",
        "    expect(greet()).toBe('Hallo')",
        '  })',
        '})',
        '',
      ].join('\n'),
    )
  })

  const setterWith = (body: string[], around: string[] = []) =>
    SAME_FILE.replace(
      "  it('sets a new locale', () => {\n    const german = { greeting: 'Hallo' };\n    setLocale(german);\n",
      [...around, "  it('sets a new locale', ({ task }) => {", ...body.map((l) => `    ${l}`), ''].join('\n'),
    )

  test.each([
    [['setLocale({ greeting: task.name });'], [], "the call in 'sets a new locale' uses task, a variable of that test it cannot take along"],
    [["let greeting = 'Hal';", "greeting += 'lo';", 'setLocale({ greeting });'], [], "'sets a new locale' uses greeting on line 11 before its call"],
    [['setLocale({ greeting: current });'], ["  let current = 'Hallo';"], "the call in 'sets a new locale' uses current, a variable of describe 'locale'"],
    [
      ["Object.assign(messages, { greeting: 'Hallo' });"],
      [],
      "'sets a new locale' sets src/locale.ts: messages.greeting up neither by one assignment nor by a call",
    ],
  ])('no patch when the call needs what only the setter has: %j', async (body, around, why) => {
    const code = setterWith(body, around)
    expect(code).not.toBe(SAME_FILE)
    const result = await plan({ [FILE]: code }, brittle(VICTIM, SETTER))
    expect(typeof result === 'string' ? result : result.summary).toContain(why)
  })
})

describe("two causes: a describe's let with no initial value, and a call left on a spy", () => {
  const file = 'test/translate.test.js'
  const polluter = `${file} > translate > without a handler > should emit a warning`
  const f: Finding = {
    victim: `${file} > translate > with a handler > should not emit a warning`,
    kind: 'victim',
    polluters: [polluter],
    stateSetters: [],
    cleaners: [],
    probes: 18,
    leaks: [
      { kind: 'mock', what: `vi.fn() at ${file}:6 calls`, before: '0', after: '1', verified: false, ruledOut: 'no-change', by: polluter },
      { kind: 'scope', what: "t of describe 'translate', assigned by 'should emit a warning'", before: '', after: '', verified: false, by: polluter },
    ],
  }

  test('the let saved and assigned back around each test, alone first, then with the spy’s calls cleared after the polluter', async () => {
    const result = await planPatches({ root: ROOT, finding: f, read: (path) => (path === `${ROOT}/${file}` ? CODE : undefined) })
    if ('none' in result) throw new Error(result.none)
    // Each part names the describe its code goes into (the let's, not the victim's), and the call as written.
    const saving = `save t before each test and assign it back after, in a beforeEach of describe 'translate' of ${file}, which declares it`
    expect(result.remedies.map((r) => r.summary)).toEqual([
      saving,
      `${saving}; vitest.clearAllMocks() after each test in describe 'without a handler' of ${file}`,
    ])
    const saved = ['  let t', '  beforeEach(() => {', '    const saved = t', '    return () => {', '      t = saved', '    }', '  })', '']
    expect(result.remedies[0]!.edits[0]!.after).toBe(
      CODE.replace('{ beforeAll, describe,', '{ beforeAll, beforeEach, describe,').replace('  let t\n', `${saved.join('\n')}\n`),
    )
    expect(result.remedies[1]!.edits[0]!.after).toContain(
      ["  describe('without a handler', () => {", '    afterEach(() => {', '      vitest.clearAllMocks()', '    })', ''].join('\n'),
    )
    // The file's `vitest` is Vitest's `vi`: used as is, not imported again.
    expect(result.remedies[1]!.edits[0]!.after).toMatch(/^import \{ afterEach, beforeAll, beforeEach, describe, expect, it, vitest \} from 'vitest'\n/)
  })
})
