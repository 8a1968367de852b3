// Secrets never show: a polluter leaves a corpus of secret shapes behind (env vars, nested
// globals, nested exports) beside the leak that is the cause. Every place a diagnosis reaches is
// searched for every secret value: the failing run's output and its in-job bisect, the job
// summary, `bisect` as text and as JSON, `flaky`, the HTML report, the DB and its WAL.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import type { Finding, Leak } from '../../src/core/model.js'
import { testId } from '../../src/core/names.js'
import { runsBefore, seedWhere } from '../helpers/cli.js'
import { config, createProject } from '../helpers/project.js'

const FILE = 'test/shop.test.ts'
const POLLUTER = testId('', FILE, 'shop > storefront in the euro zone')
const VICTIM = testId('', FILE, 'shop > prices in dollars by default')
const QUIET = ['lists products', 'adds to cart', 'checks out']
const IDS = [POLLUTER, VICTIM, ...QUIET.map((t) => testId('', FILE, `shop > ${t}`))]
const PASSING = seedWhere(IDS, (o) => runsBefore(o, VICTIM, POLLUTER))
const SEED = seedWhere(IDS, (o) => runsBefore(o, POLLUTER, VICTIM) && o.indexOf(VICTIM) >= 2)

/** Each value must appear nowhere; the comment says what should hide it. */
const SECRETS = {
  token: 'tok-plain-0a1b2c3d', // name API_TOKEN
  pass: 'pass-plain-4e5f6a', // name DB_PASS
  pwd: 'pwd-plain-7b8c9d', // name MYSQL_PWD
  url: 'urlpw-plain-0e1f2a', // inside DATABASE_URL
  stripe: 'sk_live_51HqLyjWDarjtT1zdp7dcXyZ', // shape, under a plain name
  github: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', // shape
  aws: 'AKIAIOSFODNN7EXAMPLE', // shape
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fwpM', // shape
  pem: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', // the body of a PEM block
  apiKey: 'apikey-plain-3b4c5d', // nested key apiKey of a global
  nestedPw: 'nested-pw-plain-6e7f', // globalThis.settings.auth.password
  exportPw: 'export-pw-plain-8a9b', // config.db.password of an export
  cookie: 'cookie-plain-0c1d2e', // session cookie in an array of an export
}

const POLLUTE = [
  `process.env.SHOP_CURRENCY = 'EUR'`,
  `process.env.API_TOKEN = '${SECRETS.token}'`,
  `process.env.DB_PASS = '${SECRETS.pass}'`,
  `process.env.MYSQL_PWD = '${SECRETS.pwd}'`,
  `process.env.DATABASE_URL = 'postgres://shop:${SECRETS.url}@db.local:5432/shop'`,
  `process.env.PAYMENTS = '${SECRETS.stripe}'`,
  `process.env.GH = '${SECRETS.github}'`,
  `process.env.AWS_ID = '${SECRETS.aws}'`,
  `process.env.BEARER = '${SECRETS.jwt}'`,
  `process.env.TLS = '-----BEGIN PRIVATE KEY-----\\n${SECRETS.pem}\\n-----END PRIVATE KEY-----'`,
  `;(globalThis as any).settings = { apiKey: '${SECRETS.apiKey}', auth: { password: '${SECRETS.nestedPw}' }, note: '${SECRETS.stripe}' }`,
  `;(globalThis as any).deploy = { repo: 'shop', with: ['${SECRETS.github}'] }`,
  `config.db = { host: 'db.local', password: '${SECRETS.exportPw}' }`,
  `config.headers.push({ name: 'x-session', value: '${SECRETS.cookie}' }, '${SECRETS.jwt}')`,
  `config.url = 'https://api.local/v1?token=${SECRETS.token}&page=2'`,
].join('\n    ')

const FILES = {
  'src/config.ts': `export const config: Record<string, unknown> & { headers: unknown[] } = { db: {}, headers: [] }\n`,
  [FILE]: [
    `import { describe, expect, test } from 'vitest'`,
    `import { config } from '../src/config'`,
    `describe('shop', () => {`,
    `  test('storefront in the euro zone', () => {\n    ${POLLUTE}\n  })`,
    ...QUIET.map((t) => `  test('${t}', () => { expect(config).toBeDefined() })`),
    `  test('prices in dollars by default', () => { expect(process.env.SHOP_CURRENCY ?? 'USD').toBe('USD') })`,
    `})`,
    '',
  ].join('\n'),
}

const leaked = (text: string) => Object.entries(SECRETS).filter(([, value]) => text.includes(value))

test('a corpus of secrets leaked by a polluter shows in no output, report or database', async () => {
  const project = createProject({ 'vitest.config.ts': config(`{ bisect: { onFailure: 'new', budget: 240 } }`, 'fileParallelism: false'), ...FILES })
  const summary = join(project.dir, 'summary.md')
  const run = await project.runVitest([], { FLAKESEED_SEED: SEED, GITHUB_STEP_SUMMARY: summary })
  expect(run.code, run.output).toBe(1)
  expect(run.stdout).toContain(`polluter ${POLLUTER}`)
  const text = await project.runCli(['bisect', 'last', '--repeat', '1'])
  const json = await project.runCli(['bisect', 'last', '--repeat', '1', '--json'])
  expect(json.code, json.output).toBe(1)
  const finding = JSON.parse(json.stdout) as Finding
  // The cause is still found and verified; the secrets are listed as changed, their values hidden.
  expect(finding.leaks?.find((l: Leak) => l.verified)).toMatchObject({ what: 'process.env.SHOP_CURRENCY', after: "'EUR'" })
  expect(finding.leaks?.find((l: Leak) => l.what === 'process.env.DB_PASS')).toMatchObject({ before: '(unset)', after: '(hidden)' })
  expect(finding.leaks?.find((l: Leak) => l.what === 'process.env.DATABASE_URL')?.after).toBe("'postgres://shop:(hidden)@db.local:5432/shop'")
  // A passing order too: flaky and the HTML report list tests with mixed outcomes, with their finding.
  expect((await project.runVitest([], { FLAKESEED_SEED: PASSING })).code).toBe(0)
  const flaky = await project.runCli(['flaky'])
  expect((await project.runCli(['report', '--html', 'report.html'])).code).toBe(0)
  const db = join(project.dir, '.flakeseed/history.db')
  const places: Record<string, string> = {
    'run output': run.output,
    'job summary': readFileSync(summary, 'utf8'),
    'bisect text': text.output,
    'bisect --json': json.output,
    flaky: flaky.output,
    'HTML report': project.read('report.html'),
    'DB file': readFileSync(db, 'latin1'),
    'DB -wal file': existsSync(`${db}-wal`) ? readFileSync(`${db}-wal`, 'latin1') : '',
  }
  // Each place did get the diagnosis: a search for nothing would find nothing.
  for (const [place, content] of Object.entries(places)) {
    if (place === 'DB -wal file' && !content) continue
    expect(content, place).toMatch(/SHOP(_|&#95;)CURRENCY/)
  }
  const hits = Object.entries(places).flatMap(([place, content]) => leaked(content).map(([name]) => `${name} in ${place}`))
  expect(hits).toEqual([])
}, 600_000)
