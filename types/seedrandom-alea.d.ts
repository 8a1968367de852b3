// seedrandom ships each generator as its own CommonJS file; importing only Alea keeps the
// worker-side cost to one small module instead of the seven the package entry loads.
declare module 'seedrandom/lib/alea.js' {
  interface AleaPRNG {
    (): number
    int32(): number
    double(): number
  }
  function alea(seed: string): AleaPRNG
  export default alea
}
