import { spawnSync } from 'node:child_process';
import { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export const NATS_HOST = '127.0.0.1';
export const NATS_PORT = 4222;

/** Whether a NATS server accepts connections on 127.0.0.1:4222. */
export function natsReachable(timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(NATS_PORT, NATS_HOST);
  });
}

/** A NATS URL with a subject prefix of its own, so parallel test runs on one NATS server never answer each other. */
export function uniqueNatsUrl(): string {
  return `nats://${NATS_HOST}:${NATS_PORT}/t${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** `natsReachable`, synchronously (to choose between describe and describe.skip at load time). */
export function natsReachableSync(): boolean {
  const probe = `const s=require('node:net').connect(${NATS_PORT},'${NATS_HOST}');s.setTimeout(1000,()=>process.exit(1));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3_000 }).status === 0;
}
