// Tyche-i (Samuel Neves and Filipe Araujo, "Fast and small nonlinear pseudorandom number
// generators for computer simulation", 2011), seeded from a string exactly as seedrandom 3.0.5's
// `seedrandom/lib/tychei.js` seeds it (MIT, David Bau), and its `double()`. Every worker keys
// every test with it: as a local function it costs no CommonJS module load per worker and runs
// on plain local variables; test/unit/order.test.ts checks it against seedrandom draw for draw.

/** The generator seeded with `seed`: each call returns the next double in [0, 1), 53 random bits. */
export function tychei(seed: string): () => number {
  let a = 0
  let b = 0
  let c = 2654435769 | 0
  let d = 1367130551
  const next = (): number => {
    b = (b << 25) ^ (b >>> 7) ^ c
    c = (c - d) | 0
    d = (d << 24) ^ (d >>> 8) ^ a
    a = (a - b) | 0
    b = (b << 20) ^ (b >>> 12) ^ c
    c = (c - d) | 0
    d = (d << 16) ^ (c >>> 16) ^ a
    a = (a - b) | 0
    return a
  }
  // Mix in the string, then discard 20 more outputs (a character past the end reads as 0).
  for (let k = 0; k < seed.length + 20; k++) {
    b ^= seed.charCodeAt(k) | 0
    next()
  }
  return () => {
    for (;;) {
      const top = next() >>> 11
      const bottom = (next() >>> 0) / 0x100000000
      const result = (top + bottom) / (1 << 21)
      if (result !== 0) return result
    }
  }
}
