import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebStream } from 'node:stream/web';
import { callWithResponse } from '../http';
import { table } from './output';
import { act } from './queue-commands';

export function backupCommand(program: Command): void {
  program
    .command('backup <file>')
    .description('save a consistent copy of the embedded store, taken while Willow runs (needs an admin key; restore: README, Operations)')
    .action(
      act(async (ctx, file: string) => {
        const { data } = await callWithResponse(ctx.willow.api.GET('/v1/backup', { parseAs: 'stream' }));
        // Written beside the target and renamed once whole, so a broken download never looks like a backup.
        const partial = `${file}.partial`;
        try {
          const out = createWriteStream(partial);
          await pipeline(Readable.fromWeb(data as unknown as WebStream<Uint8Array>), out);
          await rename(partial, file);
          const saved = { File: file, Bytes: out.bytesWritten };
          ctx.out.print(saved, () => table([saved], ['File', 'Bytes']));
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        }
      }),
    );
}
