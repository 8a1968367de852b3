// seedrandom's package entry also loads six alternative generators; its core file is the default
// ARC4 generator alone, which is all flakeseed uses (in every worker, so the import stays small).
declare module 'seedrandom/seedrandom.js' {
  interface PRNG {
    (): number
    quick(): number
    int32(): number
  }
  function seedrandom(seed: string): PRNG
  export default seedrandom
}
