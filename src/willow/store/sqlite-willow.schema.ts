import type { Migration } from '../../platform/storage/sqlite/embedded-storage';

export const WILLOW_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-queues-items',
    sql: `
      CREATE TABLE willow_queues (
        name TEXT PRIMARY KEY,
        max_items INTEGER NOT NULL,
        items INTEGER NOT NULL DEFAULT 0,  -- waiting + processing, what max_items bounds
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE willow_items (
        seq INTEGER PRIMARY KEY,           -- place in line: front retries keep it, back retries take a new one
        id TEXT NOT NULL UNIQUE,
        queue TEXT NOT NULL,
        channel TEXT NOT NULL,             -- canonical tag encoding
        state INTEGER NOT NULL,            -- 0 waiting, 1 processing, 2 dead
        data TEXT NOT NULL,
        updateable INTEGER NOT NULL,
        retry_attempts INTEGER NOT NULL,
        retry_front INTEGER NOT NULL,
        timeout_ms INTEGER NOT NULL,
        attempt INTEGER NOT NULL,          -- deliveries made
        expires_at INTEGER,                -- lease end while processing
        dead_reason TEXT,
        dead_at INTEGER
      );
      CREATE INDEX willow_items_line ON willow_items (queue, channel, state, seq);
      CREATE INDEX willow_items_leases ON willow_items (expires_at) WHERE state = 1;`,
  },
  {
    // Inspect and cancel (DESIGN §7.8): the enqueue time an item answers with (null for older items), the queue's
    // items by arrival (the item listing), and cancel marks (state 3) by the end of the lease they ended.
    id: '002-inspect-cancel',
    sql: `
      ALTER TABLE willow_items ADD COLUMN enqueued_at INTEGER;
      CREATE INDEX willow_items_arrival ON willow_items (queue, seq) WHERE state IN (0, 1);
      CREATE INDEX willow_items_cancelled ON willow_items (queue, expires_at) WHERE state = 3;`,
  },
  {
    id: '003-queue-paused',
    sql: `ALTER TABLE willow_queues ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;  -- 1: hands out nothing`,
  },
  {
    id: '004-item-last-error',
    sql: `ALTER TABLE willow_items ADD COLUMN last_error TEXT;  -- why the last delivery failed`,
  },
  {
    // Delays, retry backoff and priority (DESIGN §7.8). A channel's line is ordered by priority (higher first), then
    // by place. Items of the default priority 0 are ordered by willow_items_line (by place) as before; only items of
    // another priority are also in willow_items_ranked, so an enqueue at priority 0 writes no extra index entry.
    // Due times of waiting items are indexed only where set, so the Scheduled counts read only delayed items.
    id: '005-delay-priority',
    sql: `
      ALTER TABLE willow_items ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE willow_items ADD COLUMN not_before INTEGER;           -- not handed out before (epoch ms)
      ALTER TABLE willow_items ADD COLUMN retry_delay_ms INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE willow_items ADD COLUMN retry_exponential INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX willow_items_ranked ON willow_items (queue, channel, priority DESC, seq) WHERE state = 0 AND priority <> 0;
      CREATE INDEX willow_items_due ON willow_items (queue, not_before) WHERE state = 0 AND not_before IS NOT NULL;`,
  },
  {
    // A queue's dead letters, in place order: the listing and the dead-letter gauge of /metrics read only these.
    id: '006-dead-letters',
    sql: `CREATE INDEX willow_items_dead ON willow_items (queue, seq) WHERE state = 2;`,
  },
  {
    // A channel's line holds its waiting items only. willow_items_line held processing items too (state was one of
    // its columns), so a claim moved an entry within it and the ack deleted that entry again: with many channels a
    // page at a random place for each, written out by each commit. Now the claim deletes the entry and the ack
    // touches no page of it (claim + ack + enqueue 15 to 19 % less time in SQLite, 100 and 10,000 channels). A
    // channel's processing items are read on willow_items_leases (every processing item; only a channel deletion
    // and the channel counts the index loader reads per channel ask for them).
    id: '007-waiting-line',
    sql: `
      DROP INDEX willow_items_line;
      CREATE INDEX willow_items_waiting ON willow_items (queue, channel, seq) WHERE state = 0;`,
  },
  {
    // A queue's waiting updateable items: an enqueue into a queue that has none (nothing can collapse) reads no
    // channel's last waiting item, one probe of this index instead of one per channel of the batch (those probes were
    // about a third of the server's busy time in batch enqueue over 10,000 channels). Empty while a queue's items are
    // not updateable; an updateable item has its entry while it waits.
    id: '008-updateable-waiting',
    sql: `CREATE INDEX willow_items_updateable ON willow_items (queue, channel) WHERE state = 0 AND updateable = 1;`,
  },
];
