import { describe, expect, test } from 'vitest'
import { add, contents, remove, total } from '../src/cart.js'

describe('cart', () => {
  test('a new cart is empty', () => {
    // Order-dependent: passes only when it runs before 'adds a book' leaves a book behind.
    expect(contents()).toEqual([])
  })

  test('adds a book', () => {
    add({ sku: 'book', price: 1200 })
    expect(contents().some((item) => item.sku === 'book')).toBe(true)
  })

  test('adds and removes a pen', () => {
    add({ sku: 'pen', price: 150 })
    remove('pen')
    expect(contents().some((item) => item.sku === 'pen')).toBe(false)
  })

  test('the total of a mug alone', () => {
    add({ sku: 'mug', price: 800 })
    expect(total()).toBeGreaterThanOrEqual(800)
    remove('mug')
  })

  test('removing what is not there changes nothing', () => {
    const before = contents().length
    remove('nothing')
    expect(contents().length).toBe(before)
  })
})
