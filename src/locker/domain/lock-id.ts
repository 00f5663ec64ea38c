import { createHash } from 'node:crypto';

/**
 * LockID is derived from the canonical tag encoding, so a tag set keeps one LockID whenever it is remembered and
 * forgetting an idle lock loses nothing.
 */
export function lockIdOf(canonicalKey: string): string {
  return 'lk_' + createHash('sha256').update(canonicalKey).digest('base64url').slice(0, 26);
}
