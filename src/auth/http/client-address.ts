import type { IncomingMessage } from 'node:http';

/** Headers a reverse proxy adds: a request carrying one came through a proxy, even when the proxy is on loopback. */
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/** The address of the client's connection (IPv4-mapped IPv6 shown as IPv4). */
export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * True for a client on this machine: a loopback connection (127.0.0.0/8, ::1) that no reverse proxy forwarded. A
 * proxy on the same host connects from loopback on behalf of anyone, so its forwarding headers make it a remote client.
 */
export function isLoopbackClient(req: IncomingMessage): boolean {
  const address = clientAddress(req);
  const loopback = address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
  return loopback && !PROXY_HEADERS.some((header) => req.headers[header] !== undefined);
}

/**
 * The address the abuse limits count a client without a key against. Behind a reverse proxy on this machine (a
 * loopback connection with `X-Forwarded-For`), the last address the proxy appended, so clients do not share the
 * proxy's budget; otherwise the connection's address. Forwarding headers from anywhere else are not trusted.
 */
export function limitedAddress(req: IncomingMessage): string {
  const address = clientAddress(req);
  const forwarded = req.headers['x-forwarded-for'];
  const viaLocalProxy = address === '::1' || /^127\./.test(address);
  if (!viaLocalProxy || typeof forwarded !== 'string') return address;
  const last = forwarded.split(',').pop()?.trim();
  return last ? last : address;
}
