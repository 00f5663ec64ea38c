import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every key Willow makes starts with this, so a leaked one is easy to recognise (secret scanners, logs). */
export const KEY_PREFIX = 'wk_';
/** Random bytes in a key: 256 bits, far beyond guessing, which is why an unsalted fast hash is enough to store. */
export const KEY_RANDOM_BYTES = 32;
/** The shortest `WILLOW_ADMIN_KEY` accepted. */
export const ADMIN_KEY_MIN_LENGTH = 32;

/** A new key: `wk_` + 32 random bytes as base64url (no padding). Shown once; only its hash is stored. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(KEY_RANDOM_BYTES).toString('base64url');
}

/**
 * The stored form of a key: SHA-256, hex. Keys are high-entropy random strings, so a slow password hash would add
 * nothing but latency on every request; a stolen table still yields no usable key.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares two hex hashes of equal length (`hashKey`) in time independent of where they differ. */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The key in an `Authorization: Bearer <key>` header; null when there is none or it is not a bearer token. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1]! : null;
}
