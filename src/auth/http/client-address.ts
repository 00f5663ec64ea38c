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
