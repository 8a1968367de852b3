import { describe, expect, test } from 'vitest'
import { discount, formatPrice } from '../src/price.js'

describe('checkout', () => {
  test('a discounted total is formatted', () => expect(formatPrice(discount(2000, 25))).toBe('15.00 EUR'))
  test('a random order number has six digits', () => {
    // Math.random is seeded per test by flakeseed: the same seed draws the same number.
    const order = 100000 + Math.floor(Math.random() * 900000)
    expect(String(order)).toHaveLength(6)
  })
})
