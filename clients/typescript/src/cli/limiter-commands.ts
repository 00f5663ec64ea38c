import type { Command } from 'commander';
import { call } from '../http';
import { page, printPage } from './context';
import { table } from './output';
import { collectTag, parseInteger, parseList } from './parse';
import { act } from './queue-commands';

export function limiterCommands(program: Command): void {
  const rules = program.command('rules').description('limiter rules: how many may run at once per group of tags');
  rules
    .command('ls')
    .description('list rules')
    .option('--limit <n>', 'most entries (default 1000)', parseInteger)
    .option('--cursor <cursor>', 'where the previous page ended')
    .action(
      act(async (ctx, opts) => {
        const result = await page(ctx.willow.api.GET('/v1/limiter/rules', { params: { query: { Limit: opts.limit, Cursor: opts.cursor } } }));
        const rows = result.entries.map((r) => ({ ...r, Overrides: r.Overrides.map((o) => `${o.Name}:${o.Limit}`) }));
        ctx.out.print(result.entries, () => table(rows, ['Name', 'GroupBy', 'Limit', 'Overrides']));
        if (result.next !== null) ctx.out.note(`more: repeat with --cursor ${result.next}`);
      }),
    );
  rules
    .command('create <name>')
    .description('create a rule, e.g. rules create one_per_branch --group-by repo_name,branch_name --limit 1')
    .requiredOption('--group-by <keys>', 'comma-separated tag keys forming a group', parseList)
    .requiredOption('--limit <n>', 'most at once per group (-1 unlimited)', parseInteger)
    .action(
      act(async (ctx, name: string, opts) => {
        const rule = await call(ctx.willow.api.POST('/v1/limiter/rules', { body: { Name: name, GroupBy: opts.groupBy, Limit: opts.limit } }));
        ctx.out.print(rule, () => table([rule], ['Name', 'GroupBy', 'Limit']));
      }),
    );

  program
    .command('explain')
    .description('which limits apply to a tag set and whether one more would be allowed now')
    .requiredOption('-t, --tag <key=value>', 'the tag set (repeatable)', collectTag)
    .option('--counters <n>', 'how many more to check for (default 1)', parseInteger)
    .action(
      act(async (ctx, opts) => {
        const answer = await call(ctx.willow.api.POST('/v1/limiter/explain', { body: { KeyValues: opts.tag, Counters: opts.counters } }));
        ctx.out.print(answer, () => `${answer.Allowed ? 'allowed' : 'refused'}\n${answer.Limits.length ? table(answer.Limits, ['Rule', 'Override', 'GroupBy', 'Limit', 'Count', 'Allowed']) : 'no limit applies\n'}`);
      }),
    );

  const locks = program.command('locks').description('held locks');
  locks
    .command('ls')
    .description('list held locks (never their session ids)')
    .option('--limit <n>', 'most entries (default 1000)', parseInteger)
    .option('--cursor <cursor>', 'where the previous page ended')
    .action(
      act(async (ctx, opts) => {
        const result = await page(ctx.willow.api.GET('/v1/locks', { params: { query: { Limit: opts.limit, Cursor: opts.cursor } } }));
        printPage(ctx, result, ['LockID', 'KeyValues', 'FencingToken', 'ExpiresAt', 'Waiters'], table);
      }),
    );
}
