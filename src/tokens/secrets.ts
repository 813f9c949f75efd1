// Secret material: generation, hashing and comparison. Secrets carry a recognisable prefix so that
// secret scanners can find leaked ones, and 256 bits of randomness, so a plain SHA-256 (not a slow
// password hash) is the right digest: there is nothing to brute-force (docs/decisions/0004-credentials.md).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const SECRET_IN_TEXT = /\b(rmt|rmk)_[A-Za-z0-9_-]+/g;

/** Masks anything shaped like our secrets, for text a client controls that is logged or echoed (URLs). */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_IN_TEXT, '$1_[redacted]');
}
