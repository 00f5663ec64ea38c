import type { Command } from 'commander';
import { Willow } from '../client';
import { callWithResponse, type ApiResult } from '../http';
import { printer, type Printer } from './output';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface Context {
  willow: Willow;
  out: Printer;
}

/** The client and printer for a command, from the global options (`--url`, `--key`, `--json`) and environment. */
export function contextOf(command: Command): Context {
  const opts = command.optsWithGlobals<{ url?: string; key?: string; json?: boolean }>();
  const baseUrl = opts.url ?? process.env.WILLOW_URL ?? DEFAULT_URL;
  const apiKey = opts.key ?? process.env.WILLOW_API_KEY;
  return { willow: new Willow({ baseUrl, apiKey: apiKey || undefined }), out: printer(opts.json === true) };
}

/** A listing page: its entries and the cursor of the next page (null on the last). */
export async function page<T>(request: Promise<ApiResult<T>>): Promise<{ entries: T; next: string | null }> {
  const { data, response } = await callWithResponse(request);
  return { entries: data, next: response.headers.get('Willow-Next-Cursor') };
}

/** Prints a listing: a table (and where the next page starts, on stderr), or `--json` the bare array. */
export function printPage(ctx: Context, result: { entries: Array<Record<string, any>>; next: string | null }, columns: string[], table: (rows: Array<Record<string, any>>, columns: string[]) => string): void {
  ctx.out.print(result.entries, () => table(result.entries, columns));
  if (result.next !== null) ctx.out.note(`more: repeat with --cursor ${result.next}`);
}
