import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ApiErrors, STORE_ERRORS } from '../../http/api-errors';
import { RequireScope } from '../../http/require-scope';
import { Backups } from './backups';

const SQLITE_TYPE = 'application/vnd.sqlite3';
const STALL_MS = 60_000;

@ApiTags('operations')
@Controller('v1/backup')
export class BackupController {
  constructor(private readonly backups: Backups) {}

  /** Download a consistent copy of the embedded store, taken while Willow runs (restore: README, Operations). */
  @Get()
  @ApiOkResponse({
    description:
      'The database file (SQLite 3), sent as an attachment: every queue, item, rule, counter, lock and key as of the moment the copy completed.',
    content: { [SQLITE_TYPE]: { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiErrors({ 409: ['BACKUP_IN_PROGRESS', 'BACKUP_UNSUPPORTED'], ...STORE_ERRORS })
  @RequireScope('admin')
  async download(@Req() req: Request, @Res() res: Response): Promise<void> {
    // Express answers HEAD with the GET route: say what a GET would be, without taking a copy.
    if (req.method === 'HEAD') {
      this.backups.assertSupported();
      res.status(200).setHeader('Content-Type', SQLITE_TYPE);
      res.end();
      return;
    }
    await this.backups.send(async (file, bytes) => {
      res.status(200);
      res.setHeader('Content-Type', SQLITE_TYPE);
      res.setHeader('Content-Length', String(bytes));
      res.setHeader('Content-Disposition', `attachment; filename="willow-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}.db"`);
      res.setHeader('Cache-Control', 'no-store');
      // A client that stops reading would hold the copy on disk, and every other backup off, for as long as its
      // connection lives: a minute without progress ends the download.
      res.setTimeout(STALL_MS, () => res.destroy());
      try {
        await pipeline(createReadStream(file), res);
      } catch {
        // The client went away mid-download: nothing to answer; the copy is removed all the same.
        res.destroy();
      }
    });
  }
}
