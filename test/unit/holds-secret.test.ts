// Patches quote the project's source: what may hold a secret is neither stored nor shown in CI.
import { expect, test } from 'vitest'
import { holdsSecret } from '../../src/core/secrets.js'

test('source that names a secret with a literal, a key-shaped value or a URL password holds a secret', () => {
  for (const line of [
    `process.env.API_TOKEN = 'tok-plain-0a1b2c3d'`,
    `  db: { password: "pw-plain-6e7f" },`,
    `const apiKey = \`apikey-plain-3b4c5d\``,
    `const url = 'postgres://shop:urlpw@db.local:5432/shop'`,
    `stripe('sk_live_51HqLyjWDarjtT1zdp7dcXyZ')`,
    `-----BEGIN PRIVATE KEY-----`,
  ])
    expect(holdsSecret(`import { test } from 'vitest'\n${line}\n`), line).toBe(true)
})

test('ordinary test code does not', () => {
  const code = [
    `import { afterEach, describe, expect, test } from 'vitest'`,
    `describe('shop', () => {`,
    `  test('storefront in the euro zone', () => { process.env.SHOP_CURRENCY = 'EUR' })`,
    `  test('reads the token from the environment', () => { expect(process.env.API_TOKEN).toBeUndefined() })`,
    `})`,
  ].join('\n')
  expect(holdsSecret(code)).toBe(false)
})
