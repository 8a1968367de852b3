// seedrandom's Tyche-i generator on its own (`seedrandom.tychei` in the package entry, which would
// also load ARC4, `crypto` and five other generators into every worker). @types/seedrandom
// declares only the package entry.
declare module 'seedrandom/lib/tychei.js' {
  interface PRNG {
    /** 32 random bits in [0, 1). */
    (): number
    /** 53 random bits in (0, 1). */
    double(): number
    int32(): number
    quick(): number
  }
  function tychei(seed: string): PRNG
  export default tychei
}
