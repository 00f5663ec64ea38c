import { hasControlChar, hasLoneSurrogate } from './names';
import { randomFillSync } from 'node:crypto';

/** The longest id any route accepts (ids are opaque, but none Willow makes comes near this). */
export const MAX_ID_LENGTH = 256;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: URL-safe, no I, L, O or U
const RANDOM_BYTES = 10;
const POOL_IDS = 256;
const pool = Buffer.alloc(RANDOM_BYTES * POOL_IDS);
let poolOffset = pool.length;

/**
 * A new opaque id: 26 characters of Crockford base32 (ULID layout), a 48-bit millisecond timestamp followed by 80
 * fresh random bits. Ids sort by creation time to the millisecond; within one millisecond their order is random,
 * so never use them for arrival order. The random part makes them unguessable (safe for session ids).
 */
export function newId(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += RANDOM_BYTES;
  return timePart(Date.now()) + encode40(pool, start) + encode40(pool, start + 5);
}

/** Every pair of base32 characters, by the 10 bits they encode. */
const PAIRS = Array.from({ length: 1024 }, (_, n) => ALPHABET[n >> 5] + ALPHABET[n & 31]);
let lastMs = -1;
let lastTime = '';

/** The time part of an id (10 characters), encoded once per millisecond. */
function timePart(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastTime = encodeTime(ms);
  }
  return lastTime;
}

function encodeTime(ms: number): string {
  let rest = ms;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** 5 bytes (40 bits) as 8 base32 characters, 10 bits (two characters) at a time. */
function encode40(bytes: Buffer, offset: number): string {
  const b0 = bytes[offset];
  const b1 = bytes[offset + 1];
  const b2 = bytes[offset + 2];
  const b3 = bytes[offset + 3];
  const b4 = bytes[offset + 4];
  return PAIRS[(b0 << 2) | (b1 >> 6)] + PAIRS[((b1 & 63) << 4) | (b2 >> 4)] + PAIRS[((b2 & 15) << 6) | (b3 >> 2)] + PAIRS[((b3 & 3) << 8) | b4];
}

/**
 * Whether `raw` could be an id Willow handed out: 1 to MAX_ID_LENGTH characters of well-formed text without control
 * characters. Ids are opaque, so one that fails this is simply unknown (DESIGN.md §2: 404, never 400); callers answer
 * so without asking a store, which may not even hold such text (PostgreSQL refuses a NUL byte).
 */
export function isWellFormedId(raw: unknown): raw is string {
  return typeof raw === 'string' && raw.length > 0 && raw.length <= MAX_ID_LENGTH && !hasControlChar(raw) && !hasLoneSurrogate(raw);
}
