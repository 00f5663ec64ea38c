import { Willow, call, type Delivery } from '@willow/client';
import { eventually, startFixture, type ClientFixture } from './support';

/** The worker of @willow/client against a real server: exactly once, heartbeats, failures, cancel, stop. */
describe('Willow.worker', () => {
  let fx: ClientFixture;
  let willow: Willow;
  let n = 0;
  const newQueue = async () => {
    const name = `q${++n}`;
    await call(willow.api.POST('/v1/queues', { body: { Name: name } }));
    return name;
  };
  const enqueue = (queue: string, items: Array<{ KeyValues: Record<string, string>; Data: unknown; Timeout?: string; RetryAttempts?: number }>) =>
    call(willow.api.POST('/v1/queues/{Name}/items/batch', { params: { path: { Name: queue } }, body: { Items: items as any } }));
  const counts = (queue: string) => call(willow.api.GET('/v1/queues/{Name}', { params: { path: { Name: queue } } }));

  beforeAll(async () => {
    fx = await startFixture();
    willow = fx.willow;
  }, 60_000);
  afterAll(() => fx?.dispose());

  it('processes 500 items exactly once with concurrency 16, acking each', async () => {
    const queue = await newQueue();
    const total = 500;
    const items = Array.from({ length: total }, (_, i) => ({ KeyValues: { ch: String(i % 40) }, Data: i, Timeout: '30s' }));
    await enqueue(queue, items.map((item) => ({ ...item, Updateable: false }) as any));
    const seen = new Map<number, number>();
    let inFlight = 0;
    let peak = 0;
    const errors: unknown[] = [];
    const worker = willow.worker(
      queue,
      async (item) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        seen.set(item.Data as number, (seen.get(item.Data as number) ?? 0) + 1);
        inFlight--;
      },
      { concurrency: 16, wait: '1s', onError: (error) => errors.push(error) },
    );
    const running = worker.run();
    await eventually(() => seen.size === total, 45_000, 'every item handled');
    await worker.stop();
    await running;
    expect([...seen.values()].every((times) => times === 1)).toBe(true);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(16);
    expect(errors).toEqual([]);
    expect(await counts(queue)).toMatchObject({ Waiting: 0, Processing: 0 });
  }, 60_000);

  it('without batches (one dequeue and one ack per item) also processes every item once, and stop() waits for the acks', async () => {
    const queue = await newQueue();
    await enqueue(queue, Array.from({ length: 60 }, (_, i) => ({ KeyValues: { ch: String(i % 7) }, Data: i, Updateable: false }) as any));
    const seen: number[] = [];
    const worker = willow.worker(queue, (item) => void seen.push(item.Data as number), { concurrency: 4, batch: false, wait: '1s' });
    const running = worker.run();
    await eventually(() => seen.length >= 60, 30_000, 'every item handled');
    await worker.stop();
    await running;
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(await counts(queue)).toMatchObject({ Waiting: 0, Processing: 0 });
  }, 60_000);

  it('keeps a lease alive across three Timeouts with heartbeats of its own', async () => {
    const queue = await newQueue();
    // Timeout 2 s (heartbeats every 667 ms), handler 3.25 Timeouts: a lease lost to a stall would need one over 1.3 s.
    await enqueue(queue, [{ KeyValues: { job: 'long' }, Data: 'slow', Timeout: '2s' }]);
    const deliveries: Delivery[] = [];
    let aborted = false;
    const worker = willow.worker(queue, async (item, { signal }) => {
      deliveries.push(item);
      await new Promise((r) => setTimeout(r, 6_500));
      aborted = signal.aborted;
    }, { wait: '1s' });
    const running = worker.run();
    await eventually(async () => deliveries.length === 1 && (await counts(queue)).Processing === 0, 30_000, 'the long item acked');
    await worker.stop();
    await running;
    expect(deliveries.map((d) => d.Attempt)).toEqual([1]);
    expect(aborted).toBe(false);
    expect(await counts(queue)).toMatchObject({ Waiting: 0, Processing: 0 });
    const dead = await call(willow.api.GET('/v1/queues/{Name}/dead-letters', { params: { path: { Name: queue } } }));
    expect(dead).toEqual([]);
  }, 60_000);

  it('acks a thrown error as failed: the dead letter keeps the message, cut to 4 KiB', async () => {
    const queue = await newQueue();
    await enqueue(queue, [
      { KeyValues: { job: 'a' }, Data: 'short' },
      { KeyValues: { job: 'b' }, Data: 'long' },
    ]);
    const worker = willow.worker(queue, (item) => {
      throw new Error(item.Data === 'short' ? 'exit code 2' : 'é'.repeat(3_000));
    }, { wait: '1s', onError: () => undefined });
    const running = worker.run();
    const deadLetters = () => call(willow.api.GET('/v1/queues/{Name}/dead-letters', { params: { path: { Name: queue } } }));
    await eventually(async () => (await deadLetters()).length === 2, 30_000, 'two dead letters');
    await worker.stop();
    await running;
    const byData = new Map((await deadLetters()).map((d) => [d.Data, d]));
    expect(byData.get('short')).toMatchObject({ Reason: 'failed', LastError: 'exit code 2', Attempts: 1 });
    const cut = byData.get('long')!.LastError!;
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(4096);
    expect(cut).toBe('é'.repeat(2048));
  }, 60_000);

  it('aborts the signal when the item is cancelled, and never acks it', async () => {
    const queue = await newQueue();
    const [{ ID }] = (await enqueue(queue, [{ KeyValues: { job: 'c' }, Data: 'cancel me', Timeout: '1s' }])).Results;
    const reasons: unknown[] = [];
    const errors: Array<{ phase: string }> = [];
    let started = false;
    const worker = willow.worker(queue, async (_item, { signal }) => {
      started = true;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reasons.push(signal.reason);
      throw new Error('stopped');
    }, { wait: '1s', onError: (_e, info) => errors.push(info) });
    const running = worker.run();
    await eventually(() => started, 20_000, 'the handler to start');
    await call(willow.api.DELETE('/v1/queues/{Name}/items/{ID}', { params: { path: { Name: queue, ID } } }));
    await eventually(() => reasons.length === 1, 20_000, 'the signal to abort');
    await worker.stop();
    await running;
    expect(reasons[0]).toMatchObject({ status: 409, code: 'LEASE_LOST' });
    expect(errors.filter((e) => e.phase === 'ack' || e.phase === 'handler')).toEqual([]);
    expect(await counts(queue)).toMatchObject({ Waiting: 0, Processing: 0 });
  }, 60_000);

  it('stops gracefully: running handlers finish and are acked, no new item is taken', async () => {
    const queue = await newQueue();
    await enqueue(queue, Array.from({ length: 4 }, (_, i) => ({ KeyValues: { ch: `s${i}` }, Data: i })));
    let started = 0;
    let finished = 0;
    const worker = willow.worker(queue, async () => {
      started++;
      await new Promise((r) => setTimeout(r, 1_500));
      finished++;
    }, { concurrency: 2, wait: '1s' });
    const running = worker.run();
    await eventually(() => started === 2, 20_000, 'two handlers running');
    await worker.stop();
    await running;
    expect({ started, finished }).toEqual({ started: 2, finished: 2 });
    expect(await counts(queue)).toMatchObject({ Waiting: 2, Processing: 0 });
  }, 60_000);

  it('backs off while the server is unreachable, reporting each failure, and stops at once', async () => {
    const { Willow } = await import('@willow/client');
    const offline = new Willow({ baseUrl: 'http://127.0.0.1:1' });
    const failures: Array<{ code: string; at: number }> = [];
    const worker = offline.worker('nowhere', () => undefined, { backoff: { firstMs: 50, maxMs: 400 }, onError: (e: any) => failures.push({ code: e.code, at: Date.now() }) });
    const running = worker.run();
    await eventually(() => failures.length >= 4, 20_000, 'four failed dequeues');
    const t0 = Date.now();
    await worker.stop();
    await running;
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(new Set(failures.map((f) => f.code))).toEqual(new Set(['UNREACHABLE']));
  }, 30_000);

  it('rejects run() when the server refuses the dequeue for good (a bad query)', async () => {
    const queue = await newQueue();
    const worker = willow.worker(queue, () => undefined, { query: { Where: { os: { $bogus: 1 } } } as any, onError: () => undefined });
    await expect(worker.run()).rejects.toMatchObject({ status: 400, code: 'INVALID_INPUT' });
  }, 30_000);

  it('stop() ends a waiting long-poll at once, leaving nothing claimed', async () => {
    const queue = await newQueue();
    const handled: unknown[] = [];
    const worker = willow.worker(queue, (item) => void handled.push(item.ID), { concurrency: 5, wait: '60s' });
    const running = worker.run();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await worker.stop();
    await running;
    expect(Date.now() - t0).toBeLessThan(5_000);
    await enqueue(queue, [{ KeyValues: { after: 'stop' }, Data: 1 }]);
    const item = await call(willow.api.POST('/v1/queues/{Name}/items/dequeue', { params: { path: { Name: queue } }, body: { Wait: '5s' } }));
    expect(item).toMatchObject({ Data: 1, Attempt: 1 });
    expect(handled).toEqual([]);
  }, 30_000);

  it('never acks a delivery whose lease ran out while its heartbeats could not get through', async () => {
    const queue = await newQueue();
    await enqueue(queue, [{ KeyValues: { job: 'stalled' }, Data: 'x', Timeout: '1s', RetryAttempts: 1 }]);
    const blocked = new Willow({
      baseUrl: fx.server.url,
      fetch: (input) => (String(input instanceof Request ? input.url : input).endsWith('/heartbeat') ? Promise.reject(new TypeError('fetch failed')) : fetch(input)),
    });
    const attempts: number[] = [];
    const reasons: unknown[] = [];
    const errors: Array<{ phase: string; error: unknown }> = [];
    const worker = blocked.worker(queue, async (item, { signal }) => {
      attempts.push(item.Attempt);
      if (item.Attempt > 1) return;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reasons.push(signal.reason);
      // Resolves as if the work had succeeded: the worker must still not ack a delivery it knows is lost.
    }, { wait: '1s', onError: (error, { phase }) => errors.push({ phase, error }) });
    const running = worker.run();
    await eventually(async () => attempts.length === 2 && (await counts(queue)).Processing === 0, 30_000, 'the second delivery acked');
    await worker.stop();
    await running;
    expect(attempts).toEqual([1, 2]);
    expect(reasons).toEqual([expect.objectContaining({ code: 'LEASE_LOST' })]);
    expect(errors.filter((e) => e.phase === 'ack')).toEqual([]);
    expect(errors.every((e) => e.phase === 'heartbeat')).toBe(true);
    expect(await counts(queue)).toMatchObject({ Waiting: 0, Processing: 0 });
  }, 60_000);

  it('acks through ack-batch, many items per request, never one by one', async () => {
    const queue = await newQueue();
    await enqueue(queue, Array.from({ length: 200 }, (_, i) => ({ KeyValues: { ch: String(i % 20) }, Data: i, Updateable: false }) as any));
    const requests = new Map<string, number>();
    const counted = new Willow({
      baseUrl: fx.server.url,
      fetch: (input) => {
        const url = String(input instanceof Request ? input.url : input);
        const kind = url.slice(url.lastIndexOf('/') + 1);
        requests.set(kind, (requests.get(kind) ?? 0) + 1);
        return fetch(input);
      },
    });
    let handled = 0;
    const worker = counted.worker(queue, () => void handled++, { concurrency: 20, wait: '1s' });
    const running = worker.run();
    await eventually(() => handled === 200, 30_000, 'every item handled');
    await worker.stop();
    await running;
    expect(requests.get('ack')).toBeUndefined();
    expect(requests.get('dequeue')).toBeUndefined();
    // Acks of handlers that finish together, and those arriving while an ack-batch is in flight, share a request.
    expect(requests.get('ack-batch')).toBeGreaterThanOrEqual(1);
    expect(requests.get('ack-batch')).toBeLessThanOrEqual(50);
    expect(await counts(queue)).toMatchObject({ Waiting: 0, Processing: 0 });
  }, 60_000);
});
