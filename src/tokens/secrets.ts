// Secret material: generation, hashing and comparison. Secrets carry a recognisable prefix so that
// secret scanners can find leaked ones, and 256 bits of randomness, so a plain SHA-256 (not a slow
// password hash) is the right digest: there is nothing to brute-force (docs/decisions/0004-credentials.md).
import crypto, { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'rmt_';
export const KEY_PREFIX = 'rmk_';

/** The characters a well-formed secret may contain (token68-safe, base64url). */
export const SECRET_SHAPE = /^[A-Za-z0-9_-]{1,512}$/;

export function generateSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function generateCredentialId(): string {
  return randomBytes(16).toString('hex');
}

/** SHA-256 in hex: one-shot `crypto.hash` (Node ≥ 20.12: no Hash object per request), else createHash. */
export const hashSecret: (secret: string) => string =
  typeof crypto.hash === 'function'
    ? (secret) => crypto.hash('sha256', secret, 'hex')
    : (secret) => createHash('sha256').update(secret).digest('hex');

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** One character of a URL, literally or percent-encoded any number of times (`r`, `%72`, `%2572`, …). */
function encodable(char: string): string {
  return `(?:${char}|%(?:25)*${char.charCodeAt(0).toString(16)})`;
}

/**
 * Anything shaped like a secret, wherever it starts (`a_rmt_…` and `%20rmt_…` too), and whether or not its
 * characters are percent-encoded: a URL is logged and echoed as sent, and a reader decodes it.
 */
const SECRET_IN_TEXT = new RegExp(
  `${encodable('r')}${encodable('m')}(${encodable('t')}|${encodable('k')})${encodable('_')}` +
    '(?:[A-Za-z0-9_-]|%(?:25)*[0-9A-Fa-f]{2})+',
  'gi',
);

/** Masks anything shaped like our secrets, for text a client controls that is logged or echoed (URLs). */
export function redactSecrets(text: string): string {
  return text.replace(
    SECRET_IN_TEXT,
    (_match, kind: string) => `rm${/k|6b/i.test(kind) ? 'k' : 't'}_[redacted]`,
  );
}
