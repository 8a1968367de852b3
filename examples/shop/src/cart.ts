// A cart kept in module state: the classic source of order-dependent tests.
export interface Item {
  sku: string
  price: number
}

const items: Item[] = []

export function add(item: Item): void {
  items.push(item)
}

export function remove(sku: string): void {
  const i = items.findIndex((item) => item.sku === sku)
  if (i >= 0) items.splice(i, 1)
}

export function contents(): readonly Item[] {
  return items
}

export function total(): number {
  return items.reduce((sum, item) => sum + item.price, 0)
}
