import type { IncomingMessage } from 'node:http';
import { isLoopbackClient, limitedAddress } from './client-address';

const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe(isLoopbackClient.name, () => {
  it.each([
    ['127.0.0.1', {}, true],
    ['127.8.9.10', {}, true],
    ['::1', {}, true],
    ['::ffff:127.0.0.1', {}, true],
    ['10.0.0.2', {}, false],
    ['::ffff:192.168.1.4', {}, false],
    ['127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }, false],
    ['127.0.0.1', { forwarded: 'for=203.0.113.7' }, false],
    ['127.0.0.1', { 'x-real-ip': '203.0.113.7' }, false],
  ])('%s with %j: %s', (address, headers, expected) => {
    expect(isLoopbackClient(request(address, headers))).toBe(expected);
  });
});

describe(limitedAddress.name, () => {
  it('trusts X-Forwarded-For only from a proxy on this machine, and only its last entry', () => {
    expect(limitedAddress(request('127.0.0.1', { 'x-forwarded-for': '1.2.3.4, 203.0.113.7' }))).toBe('203.0.113.7');
    expect(limitedAddress(request('10.0.0.9', { 'x-forwarded-for': '203.0.113.7' }))).toBe('10.0.0.9');
    expect(limitedAddress(request('::ffff:10.0.0.9'))).toBe('10.0.0.9');
  });
});
