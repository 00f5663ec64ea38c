import type { TestApp } from './test-app';

/** Typed helpers over the queue API for e2e tests (supertest against the real stack). */
export class QueueClient {
  constructor(
    private readonly sut: TestApp,
    readonly queue: string,
  ) {}

  private get base(): string {
    return `/v1/queues/${encodeURIComponent(this.queue)}`;
  }

  create(maxItems?: number) {
    return this.sut.http().post('/v1/queues').send(maxItems === undefined ? { Name: this.queue } : { Name: this.queue, MaxItems: maxItems });
  }

  info() {
    return this.sut.http().get(this.base);
  }

  enqueue(body: object) {
    return this.sut.http().post(`${this.base}/items`).send(body);
  }

  enqueueBatch(items: object[]) {
    return this.sut.http().post(`${this.base}/items/batch`).send({ Items: items });
  }

  /** Starts the request now (supertest is lazy) and resolves with the response. */
  dequeue(body: object = { Wait: 0 }) {
    return this.sut.http().post(`${this.base}/items/dequeue`).send(body).then((res) => res);
  }

  dequeueBatch(body: object) {
    return this.sut.http().post(`${this.base}/items/dequeue-batch`).send(body).then((res) => res);
  }

  ack(id: string, body: object = { Passed: true }) {
    return this.sut.http().post(`${this.base}/items/${id}/ack`).send(body);
  }

  ackBatch(acks: object[]) {
    return this.sut.http().post(`${this.base}/items/ack-batch`).send({ Acks: acks });
  }

  heartbeat(id: string, body: object = {}) {
    return this.sut.http().post(`${this.base}/items/${id}/heartbeat`).send(body);
  }

  channels() {
    return this.sut.http().get(`${this.base}/channels`);
  }

  deadLetters() {
    return this.sut.http().get(`${this.base}/dead-letters`);
  }

  remove() {
    return this.sut.http().delete(this.base);
  }
}

export { parked, sleep, waitUntil } from './wait';
