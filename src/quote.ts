// Anything printed for a user to paste goes through here: single-quoted POSIX shell words, so a
// test name holding quotes, `$(…)` or backticks is inert.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ')
}
