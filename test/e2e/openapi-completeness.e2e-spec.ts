import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The committed document (the drift test holds it equal to what the server serves) is complete enough to generate
 * a client from: every status with its schema, one example per error code, the pagination header, real schemas for
 * Data and Query, and no pointer to files a reader of the API does not have.
 */
type Json = Record<string, any>;
const doc = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi', 'openapi.json'), 'utf8')) as Json;
const schemas = doc.components.schemas as Record<string, Json>;
const operations: Array<[string, Json]> = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op as Json] as [string, Json]),
);

function walk(node: unknown, at: string, visit: (node: Json, at: string) => void): void {
  if (Array.isArray(node)) node.forEach((child, i) => walk(child, `${at}[${i}]`, visit));
  else if (node && typeof node === 'object') {
    visit(node as Json, at);
    for (const [key, child] of Object.entries(node)) walk(child, `${at}.${key}`, visit);
  }
}

describe('OpenAPI document completeness', () => {
  it.each(operations)('%s has an operationId, a one-line summary and a schema for every status with a body', (_, op) => {
    expect(op.operationId).toEqual(expect.any(String));
    expect(op.summary).toMatch(/^[^\n]+$/);
    expect(Object.keys(op.responses).filter((status) => status.startsWith('2'))).not.toEqual([]);
    for (const [status, response] of Object.entries<Json>(op.responses)) {
      if (status === '204') continue;
      // JSON, but for the two answers that are not: the metrics text and the event stream.
      const type = Object.keys(response.content ?? {})[0];
      expect({ status, schema: typeof response.content?.[type]?.schema }).toEqual({ status, schema: 'object' });
      if (status.startsWith('4') || status.startsWith('5')) expect({ status, type }).toEqual({ status, type: 'application/json' });
    }
  });

  it('documents /metrics as Prometheus text and /v1/events as an event stream', () => {
    expect(Object.keys(doc.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    expect(Object.keys(doc.paths['/v1/events'].get.responses['200'].content)).toEqual(['text/event-stream']);
    expect(doc.paths['/v1/events'].get.parameters.map((p: Json) => p.name)).toEqual(['Queue', 'Types']);
  });

  it.each(operations)('%s gives one example per error code it can answer', (_, op) => {
    for (const [status, response] of Object.entries<Json>(op.responses)) {
      if (Number(status) < 400) continue;
      const codes = String(response.description).split(', ');
      const examples = (response.content['application/json'].examples ?? {}) as Record<string, { value: { Code: string; Message: string } }>;
      expect({ status, codes: Object.keys(examples) }).toEqual({ status, codes });
      for (const code of codes) expect(examples[code]!.value).toEqual(expect.objectContaining({ Code: code, Message: expect.any(String) }));
    }
  });

  it('declares Willow-Next-Cursor on every listing', () => {
    const listings = operations.filter(([, op]) => op.responses['200']?.content?.['application/json']?.schema?.type === 'array');
    expect(listings.length).toBe(12);
    for (const [where, op] of listings) {
      expect({ where, header: op.responses['200'].headers?.['Willow-Next-Cursor']?.schema }).toEqual({ where, header: { type: 'string' } });
    }
  });

  it.each(operations)('%s names its scope and, unless open, the bearer scheme and its 401, 403 and 429 answers', (where, op) => {
    const scope = op['x-willow-scope'];
    if (where.startsWith('GET /health')) {
      expect(scope).toBe('open');
      expect(op.security).toBeUndefined();
      return;
    }
    expect(scope).toEqual(expect.stringMatching(/^(admin|queues:(admin|produce|consume|read)|limiter:(admin|counters)|locks|metrics|events)$/));
    expect(op.security).toEqual([{ bearer: [] }]);
    expect({ 401: op.responses['401']?.description, 403: op.responses['403']?.description, 429: op.responses['429']?.description }).toEqual({
      401: 'UNAUTHENTICATED',
      403: 'FORBIDDEN',
      429: 'RATE_LIMITED',
    });
  });

  it('declares the bearer security scheme', () => {
    expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
  });

  it('documents the dequeued item, both enqueue answers and the batch dequeue', () => {
    const items = doc.paths['/v1/queues/{Name}/items'];
    expect(items.post.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/EnqueueResponse');
    expect(items.post.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/EnqueueResponse');
    const dequeue = doc.paths['/v1/queues/{Name}/items/dequeue'].post.responses;
    expect(dequeue['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/DeliveryResponse');
    const batch = doc.paths['/v1/queues/{Name}/items/dequeue-batch'].post.responses;
    expect(batch['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/DequeueBatchResponse');
    expect(Object.keys(schemas.DeliveryResponse!.properties).sort()).toEqual(['Attempt', 'Data', 'ExpiresAt', 'ID', 'KeyValues', 'Timeout']);
  });

  it.each([
    ['EnqueueBody'],
    ['DeliveryResponse'],
    ['DeadLetterResponse'],
  ])('lets %s.Data be any JSON value, strings included', (name) => {
    const data = schemas[name]!.properties.Data as Json;
    expect(data.type).toBeUndefined();
    expect(data.anyOf.map((s: Json) => s.type).sort()).toEqual(['array', 'boolean', 'number', 'object', 'string']);
    expect(data.nullable).toBe(true);
  });

  it('gives Query its real, recursive schema', () => {
    expect(schemas.DequeueBody!.properties.Query.allOf).toEqual([{ $ref: '#/components/schemas/Query' }]);
    expect(Object.keys(schemas.Query!.properties).sort()).toEqual(['MaxKeys', 'MinKeys', 'OnlyKeys', 'Where']);
    expect(schemas.Query!.properties.Where.allOf).toEqual([{ $ref: '#/components/schemas/Where' }]);
    const where = schemas.Where!;
    expect(where.properties.$or.items).toEqual({ $ref: '#/components/schemas/Where' });
    expect(where.properties.$and.items).toEqual({ $ref: '#/components/schemas/Where' });
    expect(where.properties.$not.$ref).toBe('#/components/schemas/Where');
    expect(where.additionalProperties.anyOf.slice(0, 2)).toEqual([{ $ref: '#/components/schemas/TagValue' }, { $ref: '#/components/schemas/WhereOps' }]);
    expect(Object.keys(schemas.WhereOps!.properties).sort()).toEqual(
      ['$eq', '$exists', '$gt', '$gte', '$in', '$lt', '$lte', '$ne', '$nin'].sort(),
    );
  });

  it('leaves no bare object schema and cites no file outside the document', () => {
    const faults: string[] = [];
    walk(doc, '$', (node, at) => {
      if (node.type === 'object' && !node.properties && !node.additionalProperties) faults.push(`bare object at ${at}`);
      for (const key of ['description', 'summary']) {
        const text = node[key];
        if (typeof text === 'string' && /\.(ts|md|js)\b|DESIGN|STYLE|GLOSSARY/.test(text)) faults.push(`${at}.${key}: ${text}`);
      }
    });
    expect(faults).toEqual([]);
  });
});
