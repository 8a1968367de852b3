// Shell words: anything printed for a user to paste goes through `shellQuote` (single-quoted
// POSIX words, so a test name holding quotes, `$(…)` or backticks is inert), and `shellWords`
// reads such a command back (merging DBs rewrites the commands stored with findings).

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ')
}

/** One word as `shellQuote` writes it: plain, or single-quoted pieces with `\'` between. */
const WORD = /(?:'[^']*'|\\'|[^\s'\\]+)+/g

/** The words of a command `shellCommand` wrote, unquoted: `shellWords(shellCommand(w))` is `w`. */
export function shellWords(command: string): string[] {
  return (command.match(WORD) ?? []).map((word) => word.replace(/'([^']*)'|\\'/g, (_piece, inner: string | undefined) => inner ?? "'"))
}
