// A cart kept in module state: the classic source of order-dependent tests.
export interface Item {
  sku: string
  price: number
}

/** The one cart of the shop, shared by everything that imports it. */
export const cart: { items: Item[] } = { items: [] }

export function add(item: Item): void {
  cart.items.push(item)
}

export function remove(sku: string): void {
  const i = cart.items.findIndex((item) => item.sku === sku)
  if (i >= 0) cart.items.splice(i, 1)
}

export function contents(): readonly Item[] {
  return cart.items
}

export function total(): number {
  return cart.items.reduce((sum, item) => sum + item.price, 0)
}
