import type { Response } from 'supertest';
import type { TestApp } from './test-app';

type Body = Record<string, unknown>;
const RULES = '/v1/limiter/rules';
const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

/** The Limiter's HTTP API as a typed client over the test app (supertest), one method per route. */
export class LimiterApi {
  constructor(private readonly app: TestApp) {}

  createRule(body: Body): Promise<Response> {
    return this.app.http().post(RULES).send(body);
  }
  listRules(query = ''): Promise<Response> {
    return this.app.http().get(`${RULES}${query}`);
  }
  getRule(name: string): Promise<Response> {
    return this.app.http().get(`${RULES}/${path(name)}`);
  }
  updateRule(name: string, body: Body): Promise<Response> {
    return this.app.http().put(`${RULES}/${path(name)}`).send(body);
  }
  deleteRule(name: string): Promise<Response> {
    return this.app.http().delete(`${RULES}/${path(name)}`);
  }
  createOverride(rule: string, body: Body): Promise<Response> {
    return this.app.http().post(`${RULES}/${path(rule)}/overrides`).send(body);
  }
  listOverrides(rule: string, query = ''): Promise<Response> {
    return this.app.http().get(`${RULES}/${path(rule)}/overrides${query}`);
  }
  getOverride(rule: string, name: string): Promise<Response> {
    return this.app.http().get(`${RULES}/${path(rule, 'overrides', name)}`);
  }
  updateOverride(rule: string, name: string, body: Body): Promise<Response> {
    return this.app.http().put(`${RULES}/${path(rule, 'overrides', name)}`).send(body);
  }
  deleteOverride(rule: string, name: string): Promise<Response> {
    return this.app.http().delete(`${RULES}/${path(rule, 'overrides', name)}`);
  }
  increment(keyValues: Body, counters?: number): Promise<Response> {
    return this.app.http().post('/v1/limiter/counters').send(counters === undefined ? { KeyValues: keyValues } : { KeyValues: keyValues, Counters: counters });
  }
  decrement(keyValues: Body, counters?: number): Promise<Response> {
    return this.app.http().delete('/v1/limiter/counters').send(counters === undefined ? { KeyValues: keyValues } : { KeyValues: keyValues, Counters: counters });
  }
  set(keyValues: Body, counters: number): Promise<Response> {
    return this.app.http().put('/v1/limiter/counters/set').send({ KeyValues: keyValues, Counters: counters });
  }
  listCounters(query = ''): Promise<Response> {
    return this.app.http().get(`/v1/limiter/counters${query}`);
  }
  queryCounters(body: Body, query = ''): Promise<Response> {
    return this.app.http().post(`/v1/limiter/counters/query${query}`).send(body);
  }
  explain(keyValues: Body, counters?: number): Promise<Response> {
    return this.app.http().post('/v1/limiter/explain').send(counters === undefined ? { KeyValues: keyValues } : { KeyValues: keyValues, Counters: counters });
  }

  /** Creates a rule, failing the test unless the answer is 201. */
  async rule(name: string, groupBy: string[], limit: number): Promise<void> {
    const res = await this.createRule({ Name: name, GroupBy: groupBy, Limit: limit });
    if (res.status !== 201) throw new Error(`creating rule ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** Creates an override, failing the test unless the answer is 201. */
  async override(rule: string, name: string, keyValues: Body, limit: number): Promise<void> {
    const res = await this.createOverride(rule, { Name: name, KeyValues: keyValues, Limit: limit });
    if (res.status !== 201) throw new Error(`creating override ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** The status of `n` increments made one after another. */
  async statuses(n: number, keyValues: Body, counters?: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await this.increment(keyValues, counters)).status);
    return out;
  }
}
