// What looks like a secret, for the places that decide whether a value or a piece of the
// project's text may be shown or stored: by name (`apiKey`, `DB_PASS`), by shape (Stripe, GitHub,
// AWS, Slack, OpenAI, Google, npm, GitLab keys, JWTs, PEM keys) and inside URLs.

/** Names whose values are never printed or stored, as part of any name (`apiKey`, `DB_PASS`). */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASS|PWD|AUTH|CREDENTIAL|COOKIE|SESSION|PRIVATE|SIGNATURE/i

/** Values shaped like keys, whatever name holds them. */
export const SECRET_SHAPE =
  /\b[spr]k_(live|test)_[0-9A-Za-z]{6,}|\bsk-(?:proj-|ant-)?[\w-]{20,}|\bgh[pousr]_[0-9A-Za-z]{16,}|\bgithub_pat_\w{16,}|\b(AKIA|ASIA)[0-9A-Z]{16}\b|\bxox[abprs]-[\w-]{8,}|\bAIza[\w-]{30,}|\bnpm_[0-9A-Za-z]{30,}|\bglpat-[\w-]{16,}|\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/

/** `scheme://user:password@host`: the password. */
export const URL_CREDENTIAL = /([a-z][\w+.-]*:\/\/[^\s:@/]*):[^\s@/]*@/gi

/**
 * A string literal given to a name: `name = '…'`, `name: "…"`, `['name'] = …`, `stubEnv('NAME', '…')`.
 * The name is the last identifier before the operator; the value the literal's text.
 */
const ASSIGNED = /([A-Za-z_$][\w$-]*)['"`]?\]?\s*(?:[:,]|[?|&]{0,2}=(?![=>]))\s*(['"`])([^'"`\n]*)\2/g

/**
 * Names that hold a secret, as words of the name (`apiKey`, `API_TOKEN`, `dbPass`, `clientSecret`):
 * a word `key` alone (`{ key: 'a' }`) and words that only start like one (`passes`, `author`) are not.
 */
function secretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
  if (words.some((w) => /^(?:\w*token|\w*secret|passw(?:or)?d\w*|passphrase|pass|pwd|apikey|credentials?|auth|authorization|privatekey)$/.test(w))) return true
  return words.some((w, k) => w === 'key' && /^(?:api|access|private|secret|signing|encryption|master|client)$/.test(words[k - 1] ?? ''))
}

/** Shannon entropy of a string, in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>()
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1)
  let bits = 0
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length)
  return bits
}

/** A value that could be a real key or password: one long, varied word (a `Bearer ` in front allowed), not prose. */
function secretValue(value: string): boolean {
  const word = value.replace(/^(?:Bearer|Basic|Token|token)\s+/, '')
  return !/\s/.test(word) && word.length >= 8 && entropy(word) >= 3
}

/**
 * Whether a piece of the project's source (a patch, a file as patched) may hold a secret: a
 * key-shaped value, a URL with a password, or a long varied literal given to a name that holds
 * secrets (`API_TOKEN = '…'`, `password: '…'`). Such text is not stored or shown in CI, only said
 * to exist. Test code that merely mentions a key (`{ key: 'id' }`, `test('passes…')`) is not.
 */
export function holdsSecret(text: string): boolean {
  if (SECRET_SHAPE.test(text) || new RegExp(URL_CREDENTIAL.source, 'i').test(text)) return true
  for (const [, name, , value] of text.matchAll(ASSIGNED)) if (secretName(name!) && secretValue(value!)) return true
  return false
}
