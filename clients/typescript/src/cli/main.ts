import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { WillowError } from '../errors';
import { DEFAULT_URL } from './context';
import { backupCommand } from './backup-command';
import { limiterCommands } from './limiter-commands';
import { queueCommands } from './queue-commands';

/** Exit codes: 0 done, 1 the request failed (message on stderr), 2 the command line is wrong. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** This package's version, from its package.json (dist/cjs/cli/ is three folders below it). */
function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

export function program(): Command {
  const root = new Command('willow')
    .description('Willow from the command line: queues, items, dead letters, limiter rules, locks and backups')
    .option('--url <url>', `where Willow listens (env WILLOW_URL, default ${DEFAULT_URL})`)
    .option('--key <key>', 'API key, sent as a bearer token (env WILLOW_API_KEY)')
    .option('--json', 'print JSON for scripts instead of tables')
    .version(version(), '-V, --version', 'print the client version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  queueCommands(root);
  limiterCommands(root);
  backupCommand(root);
  return root;
}

/** Runs the CLI on `argv` (as in process.argv) and resolves to its exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    const text = error instanceof WillowError ? `${error.message} (${error.code}${error.status ? `, HTTP ${error.status}` : ''})` : String(error);
    process.stderr.write(`willow: ${text}\n`);
    return EXIT.error;
  }
}
