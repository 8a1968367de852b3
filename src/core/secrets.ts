// What looks like a secret, for the places that decide whether a value or a piece of the
// project's text may be shown or stored: by name (`apiKey`, `DB_PASS`), by shape (Stripe, GitHub,
// AWS, Slack, Google, npm, GitLab keys, JWTs, PEM keys) and inside URLs.

/** Names whose values are never printed or stored, as part of any name (`apiKey`, `DB_PASS`). */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASS|PWD|AUTH|CREDENTIAL|COOKIE|SESSION|PRIVATE|SIGNATURE/i

/** Values shaped like keys, whatever name holds them. */
export const SECRET_SHAPE =
  /\b[spr]k_(live|test)_[0-9A-Za-z]{6,}|\bgh[pousr]_[0-9A-Za-z]{16,}|\bgithub_pat_\w{16,}|\b(AKIA|ASIA)[0-9A-Z]{16}\b|\bxox[abprs]-[\w-]{8,}|\bAIza[\w-]{30,}|\bnpm_[0-9A-Za-z]{30,}|\bglpat-[\w-]{16,}|\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/

/** `scheme://user:password@host`: the password. */
export const URL_CREDENTIAL = /([a-z][\w+.-]*:\/\/[^\s:@/]*):[^\s@/]*@/gi

/** A string literal on the line: `'…'`, `"…"` or `` `…` `` with something in it. */
const LITERAL = /(['"`])[^'"`\s]{4,}\1/

/**
 * Whether a piece of the project's source (a patch, a file as patched) may hold a secret: a
 * key-shaped value, a URL with a password, or a line that names a secret and holds a string
 * literal. Cautious on purpose: such text is not stored or shown in CI, only said to exist.
 */
export function holdsSecret(text: string): boolean {
  if (SECRET_SHAPE.test(text) || new RegExp(URL_CREDENTIAL.source, 'i').test(text)) return true
  return text.split('\n').some((line) => SECRET_NAME.test(line) && LITERAL.test(line))
}
