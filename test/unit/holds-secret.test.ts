// Patches quote the project's source: what may hold a secret is neither stored nor shown in CI,
// and ordinary test code that only mentions a key or a password is both (zustand's patch was not
// stored because a line said "key" next to a string).
import { expect, test } from 'vitest'
import { holdsSecret } from '../../src/core/secrets.js'

test('a key-shaped value, a URL password, or a long varied literal given to a secret name holds a secret', () => {
  for (const line of [
    `process.env.API_TOKEN = 'tok-plain-0a1b2c3d'`,
    `  db: { password: "pw-plain-6e7f" },`,
    `const apiKey = \`apikey-plain-3b4c5d\``,
    `const DB_PASS = 'Zx9-qL2m!w'`,
    `process.env['CLIENT_SECRET'] ??= 'c3VwZXJzZWNyZXQ'`,
    `vi.stubEnv('GITHUB_TOKEN', 'v1.0a9f8e7d6c5b')`,
    `headers: { Authorization: 'Bearer 9f8e7d6c5b4a3f2e' },`,
    `const url = 'postgres://shop:urlpw@db.local:5432/shop'`,
    `stripe('sk_live_51HqLyjWDarjtT1zdp7dcXyZ')`,
    `const openai = 'sk-proj-Abc123Def456Ghi789Jkl0'`,
    `const token = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'`,
    `const aws = 'AKIAIOSFODNN7EXAMPLE'`,
    `const slack = 'xoxb-123456789012-abcdef'`,
    `const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_Abc-123'`,
    `-----BEGIN PRIVATE KEY-----`,
    `-----BEGIN RSA PRIVATE KEY-----`,
  ])
    expect(holdsSecret(`import { test } from 'vitest'\n${line}\n`), line).toBe(true)
})

test('ordinary test code does not, though it names keys, passes and tokens', () => {
  const code = [
    `import { afterEach, describe, expect, test } from 'vitest'`,
    `describe('shop', () => {`,
    `  test('storefront in the euro zone', () => { process.env.SHOP_CURRENCY = 'EUR' })`,
    `  test('reads the token from the environment', () => { expect(process.env.API_TOKEN).toBeUndefined() })`,
    `  test('passes-through', () => { expect({ key: 'value-of-the-key' }).toHaveProperty('key', 'value-of-the-key') })`,
    `  const keyName = 'storeKey'`,
    `  const passes = 'passesAll'`,
    `  const options = { name: 'count-store', key: 'zustand-persist-42', author: 'someone1' }`,
    `  const password = 'password'`,
    `  const token = 'a token for the tests'`,
    `  const session = { authorName: 'alice1234' }`,
    `})`,
  ].join('\n')
  expect(holdsSecret(code)).toBe(false)
})
