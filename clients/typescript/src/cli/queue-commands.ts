import { Option, type Command } from 'commander';
import { call } from '../http';
import { contextOf, page, printPage, type Context } from './context';
import { record, table } from './output';
import { collectField, collectTag, parseDuration, parseInteger, parseJson } from './parse';

type Action = (ctx: Context, ...args: any[]) => Promise<void>;

/** Wraps an action: its last argument is the Command, from which the context is built. */
export function act(fn: Action): (...args: any[]) => Promise<void> {
  return (...args: any[]) => fn(contextOf(args[args.length - 1] as Command), ...args.slice(0, -1));
}

const QUEUE_COLUMNS = ['Name', 'Paused', 'Waiting', 'Processing', 'Channels', 'MaxItems'];
const path = (Name: string) => ({ params: { path: { Name } } });
const pageOptions = (cmd: Command) =>
  cmd.option('--limit <n>', 'most entries (default 1000)', parseInteger).option('--cursor <cursor>', 'where the previous page ended');

/** `{Where: tags}` from `--where k=v`, or the `--query` JSON; undefined when neither was given. */
function queryOf(opts: { where?: Record<string, string>; query?: unknown }): any {
  if (opts.query !== undefined) return opts.query;
  return opts.where ? { Where: opts.where } : undefined;
}

function addQueryOptions(cmd: Command): Command {
  return cmd
    .option('-w, --where <key=value>', 'only channels with this tag (repeatable)', collectTag)
    .option('--query <json>', 'a full query: {"Where": ..., "MinKeys": ...}', parseJson);
}

export function queueCommands(program: Command): void {
  const queues = program.command('queues').description('list, create, pause and resume queues');
  pageOptions(queues.command('ls').description('list queues with their counts')).action(
    act(async (ctx, opts) => {
      const result = await page(ctx.willow.api.GET('/v1/queues', { params: { query: { Limit: opts.limit, Cursor: opts.cursor } } }));
      printPage(ctx, result, QUEUE_COLUMNS, table);
    }),
  );
  queues
    .command('create <name>')
    .description('create a queue')
    .option('--max-items <n>', 'most waiting + processing items (-1 = unlimited)', parseInteger)
    .action(
      act(async (ctx, name: string, opts) => {
        const queue = await call(ctx.willow.api.POST('/v1/queues', { body: { Name: name, MaxItems: opts.maxItems } }));
        ctx.out.print(queue, () => table([queue], QUEUE_COLUMNS));
      }),
    );
  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    queues
      .command(`${verb} <name>`)
      .description(paused ? 'hand out nothing until resumed (enqueues, heartbeats and acks go on)' : 'hand out items again')
      .action(
        act(async (ctx, name: string) => {
          const queue = await call(ctx.willow.api.PUT('/v1/queues/{Name}', { ...path(name), body: { Paused: paused } }));
          ctx.out.print(queue, () => table([queue], QUEUE_COLUMNS));
        }),
      );
  }

  program
    .command('enqueue <queue>')
    .description('add an item (or collapse it into its channel\'s waiting updateable tail)')
    .requiredOption('-t, --tag <key=value>', 'the item\'s tags, its channel (repeatable)', collectTag)
    .option('-d, --data <json>', 'the item\'s Data as JSON (default null)', parseJson)
    .option('--timeout <duration>', 'lease of each delivery (default 60s)', parseDuration)
    .option('--retry-attempts <n>', 're-deliveries after failures (default 0)', parseInteger)
    .addOption(new Option('--retry-position <where>', 'where a retried item goes back').choices(['front', 'back']))
    .option('--no-updateable', 'never collapse a later item into this one')
    .option('--priority <n>', 'higher is handed out first, -100..100 (default 0)', parseInteger)
    .option('--delay <duration>', 'not handed out before this long from now (0 to 30d)', parseDuration)
    .option('--not-before <time>', 'not handed out before this ISO-8601 time (with a zone)')
    .option('--retry-delay <duration>', 'wait before each re-delivery after a failure (default 0)', parseDuration)
    .addOption(new Option('--retry-backoff <how>', 'fixed, or doubling before each re-delivery').choices(['fixed', 'exponential']))
    .option('--field <Name=json>', 'any other field of the enqueue body, as JSON (repeatable), e.g. --field Priority=5', collectField)
    .action(
      act(async (ctx, queue: string, opts) => {
        const fields = {
          KeyValues: opts.tag, Data: opts.data ?? null, Timeout: opts.timeout, RetryAttempts: opts.retryAttempts, RetryPosition: opts.retryPosition,
          Updateable: opts.updateable, Priority: opts.priority, Delay: opts.delay, NotBefore: opts.notBefore, RetryDelay: opts.retryDelay,
          RetryBackoff: opts.retryBackoff,
        };
        const body = { ...opts.field, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
        const answer = await call(ctx.willow.api.POST('/v1/queues/{Name}/items', { ...path(queue), body }));
        ctx.out.print(answer, () => `${answer.ID}${answer.Collapsed ? '  (collapsed into the waiting item)' : ''}\n`);
      }),
    );

  addQueryOptions(program.command('dequeue <queue>'))
    .description('take the next matching item (it stays processing until acked or its lease runs out)')
    .option('--wait <duration>', 'how long to wait for an item (default 0)', parseDuration)
    .action(
      act(async (ctx, queue: string, opts) => {
        const body = { Query: queryOf(opts), Wait: opts.wait ?? 0 };
        const item = await call(ctx.willow.api.POST('/v1/queues/{Name}/items/dequeue', { ...path(queue), body }));
        if (!item) {
          if (ctx.out.json) ctx.out.print(null, () => '');
          else ctx.out.note('no item');
          return;
        }
        ctx.out.print(item, () => record(item));
      }),
    );

  itemCommands(program);
  deadLetterCommands(program);
}

function itemCommands(program: Command): void {
  const items = program.command('items').description('inspect, list and cancel items');
  items
    .command('get <queue> <id>')
    .description('one item: state, attempt, place in line, data')
    .action(
      act(async (ctx, queue: string, id: string) => {
        const item = await call(ctx.willow.api.GET('/v1/queues/{Name}/items/{ID}', { params: { path: { Name: queue, ID: id } } }));
        ctx.out.print(item, () => record(item));
      }),
    );
  pageOptions(addQueryOptions(items.command('ls <queue>')))
    .description('items of matching channels by arrival (without Data)')
    .addOption(new Option('--state <state>', 'only items in this state').choices(['waiting', 'scheduled', 'processing']))
    .action(
      act(async (ctx, queue: string, opts) => {
        const query = { Limit: opts.limit, Cursor: opts.cursor, State: opts.state };
        const result = await page(ctx.willow.api.POST('/v1/queues/{Name}/items/query', { params: { path: { Name: queue }, query }, body: queryOf(opts) ?? {} }));
        printPage(ctx, result, ['ID', 'State', 'KeyValues', 'Attempt', 'EnqueuedAt', 'ExpiresAt', 'LastError'], table);
      }),
    );
  items
    .command('cancel <queue> <id>')
    .description('remove a waiting or processing item (its consumer learns it through LEASE_LOST)')
    .action(
      act(async (ctx, queue: string, id: string) => {
        await call(ctx.willow.api.DELETE('/v1/queues/{Name}/items/{ID}', { params: { path: { Name: queue, ID: id } } }));
        ctx.out.print({ ID: id, Cancelled: true }, () => `cancelled ${id}\n`);
      }),
    );
}

function deadLetterCommands(program: Command): void {
  const dead = program.command('dead-letters').description('items that used up their retries');
  pageOptions(dead.command('ls <queue>'))
    .description('list dead letters')
    .action(
      act(async (ctx, queue: string, opts) => {
        const result = await page(ctx.willow.api.GET('/v1/queues/{Name}/dead-letters', { params: { path: { Name: queue }, query: { Limit: opts.limit, Cursor: opts.cursor } } }));
        printPage(ctx, result, ['ID', 'KeyValues', 'Attempts', 'Reason', 'DeadAt', 'LastError'], table);
      }),
    );
  dead
    .command('requeue <queue> <id>')
    .description('put a dead letter back at the end of its channel, attempts reset')
    .action(
      act(async (ctx, queue: string, id: string) => {
        const answer = await call(ctx.willow.api.POST('/v1/queues/{Name}/dead-letters/{ID}/requeue', { params: { path: { Name: queue, ID: id } } }));
        ctx.out.print(answer, () => `requeued ${answer.ID}\n`);
      }),
    );
}
