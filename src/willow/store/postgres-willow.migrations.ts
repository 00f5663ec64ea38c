import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

/**
 * Willow's PostgreSQL tables. Times are epoch milliseconds (BIGINT). `seq` is the place in line, drawn from one
 * sequence so it orders items across instances; a front retry keeps it, a back retry and a requeue take a new one.
 * A channel (a canonical tag encoding) can be longer than a b-tree entry may be, so from 002 on no index holds one:
 * a channel's line is indexed by the md5 of its channel, and statements compare the whole channel as well.
 */
export const WILLOW_PG_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-queues-items',
    sql: `
      CREATE SEQUENCE willow_item_seq;
      CREATE TABLE willow_queues (
        name TEXT PRIMARY KEY,
        max_items INTEGER NOT NULL,
        -- waiting + processing, kept only while max_items >= 0 (an unlimited queue has no hot counter row);
        -- recounted when a bound is set on an unlimited queue
        items INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE willow_items (
        seq BIGINT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        queue TEXT NOT NULL,
        channel TEXT NOT NULL,             -- canonical tag encoding
        state SMALLINT NOT NULL,           -- 0 waiting, 1 processing, 2 dead
        data TEXT NOT NULL,
        updateable BOOLEAN NOT NULL,
        retry_attempts INTEGER NOT NULL,
        retry_front BOOLEAN NOT NULL,
        timeout_ms BIGINT NOT NULL,
        attempt INTEGER NOT NULL,          -- deliveries made
        expires_at BIGINT,                 -- lease end while processing
        dead_reason TEXT,
        dead_at BIGINT
      );
      -- first and last waiting item of a channel, a channel's processing items, channel loads
      CREATE INDEX willow_items_line ON willow_items (queue, channel, state, seq);
      -- leases that ran out (the sweep)
      CREATE INDEX willow_items_leases ON willow_items (expires_at) WHERE state = 1;
      -- dead letters of a queue by arrival
      CREATE INDEX willow_items_dead ON willow_items (queue, seq) WHERE state = 2;`,
  },
  {
    // An expression index, not a generated column: upgrading a schema made by 001 builds one index and rewrites no
    // item. Statements name the channel as `md5(channel) = md5(<key>)`, the indexed expression, plus the channel.
    id: '002-channel-hash',
    sql: `
      DROP INDEX willow_items_line;
      -- first and last waiting item of a channel, a channel's processing items, channel loads
      CREATE INDEX willow_items_line ON willow_items (queue, md5(channel), state, seq);`,
  },
  {
    // Inspect and cancel (DESIGN §7.8): the enqueue time an item answers with (null for older items), the queue's
    // items by arrival (the item listing), and cancel marks (state 3) by the end of the lease they ended.
    id: '003-inspect-cancel',
    sql: `
      ALTER TABLE willow_items ADD COLUMN enqueued_at BIGINT;
      CREATE INDEX willow_items_arrival ON willow_items (queue, seq) WHERE state IN (0, 1);
      CREATE INDEX willow_items_cancelled ON willow_items (queue, expires_at) WHERE state = 3;`,
  },
  {
    id: '004-queue-paused',
    sql: `ALTER TABLE willow_queues ADD COLUMN paused BOOLEAN NOT NULL DEFAULT false;  -- true: hands out nothing`,
  },
  {
    id: '005-item-last-error',
    sql: `ALTER TABLE willow_items ADD COLUMN last_error TEXT;  -- why the last delivery failed`,
  },
  {
    // Delays, retry backoff and priority (DESIGN §7.8). A channel's line is ordered by priority (higher first), then
    // by place. Items of the default priority 0 are ordered by willow_items_line (by place) as before; only items of
    // another priority are also in willow_items_ranked, so an enqueue at priority 0 writes no extra index entry.
    // Due times of waiting items are indexed only where set, so the Scheduled counts read only delayed items.
    id: '006-delay-priority',
    sql: `
      ALTER TABLE willow_items ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0;
      ALTER TABLE willow_items ADD COLUMN not_before BIGINT;            -- not handed out before (epoch ms)
      ALTER TABLE willow_items ADD COLUMN retry_delay_ms BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE willow_items ADD COLUMN retry_exponential BOOLEAN NOT NULL DEFAULT false;
      CREATE INDEX willow_items_ranked ON willow_items (queue, md5(channel), priority DESC, seq) WHERE state = 0 AND priority <> 0;
      CREATE INDEX willow_items_due ON willow_items (queue, not_before) WHERE state = 0 AND not_before IS NOT NULL;`,
  },
  {
    // A channel's waiting items not yet due, found per channel: a claim checks that none of them is ahead of the item
    // it takes (CLAIM_HEADS). Only delayed items are in it, so an enqueue without a delay writes no entry.
    id: '007-channel-not-due',
    sql: `CREATE INDEX willow_items_channel_due ON willow_items (queue, md5(channel), not_before) WHERE state = 0 AND not_before IS NOT NULL;`,
  },
];
