import { describe, expect, test } from 'vitest'
import { discount, formatPrice } from '../src/price.js'

describe('formatPrice', () => {
  test('two decimals', () => expect(formatPrice(1200)).toBe('12.00 EUR'))
  test('other currency', () => expect(formatPrice(5, 'USD')).toBe('0.05 USD'))
  test('zero', () => expect(formatPrice(0)).toBe('0.00 EUR'))
})

describe('discount', () => {
  test('ten percent', () => expect(discount(1000, 10)).toBe(900))
  test('rounds to a cent', () => expect(discount(999, 33)).toBe(669))
  test('no discount', () => expect(discount(500, 0)).toBe(500))
})
