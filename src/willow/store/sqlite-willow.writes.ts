import type { EnqueuePlan } from '../domain/enqueue-plan';
import { WAITING } from '../domain/item';
import type { Settlement } from '../domain/settlement';
import { flag, type prepareWillowStatements } from './sqlite-willow.statements';

type Statements = ReturnType<typeof prepareWillowStatements>;

/** Writes an enqueue plan: collapses in place; new items at the back of their lines (`nextSeq`), in the plan's order. */
export function writePlan(sql: Statements, queue: string, plan: EnqueuePlan, nextSeq: () => number): void {
  for (const [seq, { item, data }] of plan.collapses) {
    const rest = [item.retryAttempts, flag(item.retryPosition === 'front'), item.timeoutMs, item.priority ?? 0, item.retryDelayMs ?? 0, flag(item.retryBackoff === 'exponential'), seq];
    // A collapse target is updateable: it stays so when the new item is.
    if (item.updateable) sql.collapseStillUpdateable.run(data, ...rest);
    else sql.collapse.run(data, flag(false), ...rest);
  }
  for (const { id, key, item, data, at, dueAt } of plan.inserts) {
    sql.insertItem.run(nextSeq(), id, queue, key, WAITING, data, flag(item.updateable), item.retryAttempts,
      flag(item.retryPosition === 'front'), item.timeoutMs, at ?? null, item.priority ?? 0, dueAt ?? null, item.retryDelayMs ?? 0,
      flag(item.retryBackoff === 'exponential'));
  }
  if (plan.inserts.length > 0) sql.addItems.run(plan.inserts.length, queue);
}

/** Writes what a settlement decided; returns the places (`nextSeq`) its back retries took, in the order of `back`. */
export function writeSettlement(sql: Statements, queue: string, settlement: Settlement, reason: string, now: number, nextSeq: () => number): number[] {
  const { removed } = settlement;
  if (removed.length === 1) sql.deleteItem.run(removed[0].seq);
  else if (removed.length > 1) sql.deleteItems.run(JSON.stringify(removed.map((item) => item.seq)));
  for (const item of settlement.dead) sql.toDead.run(reason, now, item.lastError, item.seq);
  for (const item of settlement.front) sql.toRetry.run(item.seq, item.lastError, item.notBefore, item.seq);
  const backSeqs = settlement.back.map((item) => {
    const seq = nextSeq();
    sql.toRetry.run(seq, item.lastError, item.notBefore, item.seq);
    return seq;
  });
  const released = settlement.removed.length + settlement.dead.length;
  if (released > 0) sql.addItems.run(-released, queue);
  return backSeqs;
}
