import { Admission } from './admission';

describe('Admission', () => {
  it('admits up to its slots at once and the rest in arrival order', async () => {
    const gate = new Admission(2);
    const order: number[] = [];
    await gate.enter();
    await gate.enter();
    const waiting = [1, 2, 3].map((n) => gate.enter().then(() => order.push(n)));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(gate.waiting).toBe(3);
    gate.leave();
    await waiting[0];
    expect(order).toEqual([1]);
    gate.leave();
    gate.leave();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
    expect(gate.waiting).toBe(0);
  });

  it('frees a slot when nobody waits', async () => {
    const gate = new Admission(1);
    await gate.enter();
    gate.leave();
    let entered = false;
    await gate.enter().then(() => (entered = true));
    expect(entered).toBe(true);
  });

  it('keeps FIFO order across many waiters (the line is compacted as it drains)', async () => {
    const gate = new Admission(1);
    await gate.enter();
    const order: number[] = [];
    const all = Array.from({ length: 3000 }, (_, i) => gate.enter().then(() => order.push(i)));
    for (let i = 0; i < 3000; i++) gate.leave();
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});
