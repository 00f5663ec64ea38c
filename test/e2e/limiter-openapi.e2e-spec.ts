import { startServer, type ChildServer } from '../support/child-server';

interface Operation {
  operationId: string;
  summary?: string;
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
}
interface Schema {
  properties: Record<string, { description?: string; $ref?: string; items?: { $ref?: string } }>;
}

/** DESIGN §6's route table, each with its success status and the error codes it documents. */
const ROUTES: Array<[string, string, string, Record<string, string[]>]> = [
  ['post', '/v1/limiter/rules', '201', { 409: ['ALREADY_EXISTS'] }],
  ['get', '/v1/limiter/rules', '200', {}],
  ['get', '/v1/limiter/rules/{Name}', '200', { 404: ['RULE_NOT_FOUND'] }],
  ['put', '/v1/limiter/rules/{Name}', '200', { 404: ['RULE_NOT_FOUND'] }],
  ['delete', '/v1/limiter/rules/{Name}', '204', { 404: ['RULE_NOT_FOUND'] }],
  ['post', '/v1/limiter/rules/{Name}/overrides', '201', { 404: ['RULE_NOT_FOUND'], 409: ['ALREADY_EXISTS'] }],
  ['get', '/v1/limiter/rules/{Name}/overrides', '200', { 404: ['RULE_NOT_FOUND'] }],
  ['get', '/v1/limiter/rules/{Name}/overrides/{Override}', '200', { 404: ['RULE_NOT_FOUND', 'OVERRIDE_NOT_FOUND'] }],
  ['put', '/v1/limiter/rules/{Name}/overrides/{Override}', '200', { 404: ['RULE_NOT_FOUND', 'OVERRIDE_NOT_FOUND'] }],
  ['delete', '/v1/limiter/rules/{Name}/overrides/{Override}', '204', { 404: ['RULE_NOT_FOUND', 'OVERRIDE_NOT_FOUND'] }],
  ['post', '/v1/limiter/counters', '200', { 409: ['LIMIT_REACHED'] }],
  ['delete', '/v1/limiter/counters', '200', {}],
  ['put', '/v1/limiter/counters/set', '200', {}],
  ['get', '/v1/limiter/counters', '200', {}],
  ['post', '/v1/limiter/counters/query', '200', {}],
  ['post', '/v1/limiter/explain', '200', {}],
];

/** The Swagger document of the built server (the CLI plugin runs only in `nest build`). */
describe('Limiter OpenAPI document', () => {
  let server: ChildServer;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  beforeAll(async () => {
    server = await startServer({ WILLOW_DATA_DIR: ':memory:' });
    doc = (await (await fetch(`${server.url}/docs-json`)).json()) as typeof doc;
  });
  afterAll(() => server.kill9());

  it.each(ROUTES)('documents %s %s with its status and error codes', (method, path, success, errors) => {
    const op = doc.paths[path]?.[method];
    expect(op).toBeDefined();
    expect(op.summary).toEqual(expect.any(String));
    expect(op.responses[success]).toBeDefined();
    expect(op.responses['400'].description).toContain('INVALID_INPUT');
    for (const [status, codes] of Object.entries(errors)) {
      for (const code of codes) expect({ path, status, text: op.responses[status]?.description }).toEqual({ path, status, text: expect.stringContaining(code) });
    }
  });

  it('describes the LIMIT_REACHED body', () => {
    const conflict = doc.paths['/v1/limiter/counters'].post.responses['409'];
    expect(conflict.content?.['application/json'].schema.$ref).toBe('#/components/schemas/LimitReachedResponse');
    expect(Object.keys(doc.components.schemas.LimitReachedResponse.properties).sort()).toEqual(['Code', 'Count', 'Limit', 'Message', 'Override', 'Rule']);
  });

  it.each([
    ...['CreateRuleBody', 'UpdateLimitBody', 'CreateOverrideBody', 'CounterChangeBody', 'SetCounterBody', 'ExplainBody'],
    ...['RuleResponse', 'OverrideResponse', 'CounterResponse', 'ExplanationResponse', 'LimitCheckResponse', 'LimitReachedResponse'],
  ])(
    'gives every property of %s a description',
    (name) => {
      const schema = doc.components.schemas[name];
      for (const [property, spec] of Object.entries(schema.properties)) {
        expect({ property, description: typeof spec.description }).toEqual({ property, description: 'string' });
      }
    },
  );

  it('documents rules with their overrides', () => {
    expect(Object.keys(doc.components.schemas.RuleResponse.properties).sort()).toEqual(['GroupBy', 'Limit', 'Name', 'Overrides']);
    expect(doc.components.schemas.RuleResponse.properties.Overrides.items?.$ref).toBe('#/components/schemas/OverrideResponse');
  });
});
