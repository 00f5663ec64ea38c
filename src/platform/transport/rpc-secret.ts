import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * `WILLOW_TRANSPORT_SECRET`: carried by every RPC message this process sends and required of every one it serves.
 * Set once at start-up from the configuration (PlatformModule); null means none is sent and none is required, which
 * configuration allows only for transports on loopback.
 */
let secret: string | null = null;

export function useTransportSecret(value: string | null): void {
  secret = value;
}

export function transportSecret(): string | null {
  return secret;
}

/** True when a received message may be served: it carries this process's secret, or none is configured. */
export function acceptsSecret(given: unknown): boolean {
  if (secret === null) return true;
  if (typeof given !== 'string') return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret));
}
