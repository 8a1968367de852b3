export function formatPrice(cents: number, currency = 'EUR'): string {
  return `${(cents / 100).toFixed(2)} ${currency}`
}

export function discount(cents: number, percent: number): number {
  return Math.round(cents * (1 - percent / 100))
}
