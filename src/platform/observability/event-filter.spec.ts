import { EVENT_TYPES, type ObservedEvent } from './observer.port';
import { eventBody, eventJson, parseEventFilter, passes } from './event-filter';

const event = (over: Partial<ObservedEvent> = {}): ObservedEvent => ({ type: 'item.enqueued', queue: 'builds', id: 'it_1', tags: { os: 'linux' }, at: 0, ...over });

describe(parseEventFilter.name, () => {
  it('passes everything without parameters', () => {
    const sut = parseEventFilter({});
    expect(sut).toEqual({ queue: null, types: null });
    expect(EVENT_TYPES.every((type) => passes(sut, event({ type, queue: null })))).toBe(true);
  });

  it('reads a comma-separated list of types, ignoring blanks and spaces', () => {
    const sut = parseEventFilter({ Types: ' item.dead, ,lock.granted ' });
    expect([...sut.types!]).toEqual(['item.dead', 'lock.granted']);
    expect(passes(sut, event({ type: 'item.dead' }))).toBe(true);
    expect(passes(sut, event({ type: 'lock.granted', queue: null }))).toBe(true);
    expect(passes(sut, event({ type: 'item.enqueued' }))).toBe(false);
  });

  it('keeps only the events of the queue asked for, so lock events (no queue) are left out', () => {
    const sut = parseEventFilter({ Queue: 'builds' });
    expect(passes(sut, event())).toBe(true);
    expect(passes(sut, event({ queue: 'other' }))).toBe(false);
    expect(passes(sut, event({ type: 'lock.granted', queue: null }))).toBe(false);
  });

  it.each([
    [{ Types: 'item.enqueued,item.exploded' }, 'Types', /unknown event type "item\.exploded"/],
    [{ Types: ' , ' }, 'Types', /at least one event type/],
    [{ Types: ['item.dead', 'item.acked'] }, 'Types', /given once/],
    [{ Queue: '' }, 'Queue', /must not be empty/],
    [{ Type: 'item.dead' }, 'Type', /not a known field/],
  ])('refuses %j naming %s', (raw, path, message) => {
    expect(() => parseEventFilter(raw)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', path, message: expect.stringMatching(message) }));
  });
});

describe(eventBody.name, () => {
  it('writes PascalCase fields with At in ISO-8601 and leaves absent ones out', () => {
    expect(eventBody(event({ at: Date.UTC(2026, 11, 6, 9) }))).toEqual({ Type: 'item.enqueued', Queue: 'builds', ID: 'it_1', KeyValues: { os: 'linux' }, At: '2026-12-06T09:00:00.000Z' });
    expect(eventBody(event({ type: 'queue.paused', id: null, tags: null }))).toEqual({ Type: 'queue.paused', Queue: 'builds', At: '1970-01-01T00:00:00.000Z' });
  });
});

describe(eventJson.name, () => {
  it.each([
    event(),
    event({ type: 'queue.resumed', id: null, tags: null, at: 5 }),
    event({ type: 'lock.granted', queue: null, id: 'lk_"x', tags: { 'a"b': 'c\\d', n: 1.5, t: true }, at: 5 }),
    event({ queue: 'q\u2028"' }),
  ])('is JSON.stringify(eventBody(event)) for %j', (e) => {
    expect(eventJson(e)).toBe(JSON.stringify(eventBody(e)));
    expect(eventJson(e)).toBe(JSON.stringify(eventBody(e)));
  });
});

describe('eventJson with the canonical encoding of the tags', () => {
  it('writes that encoding as KeyValues, the same value as the tags', () => {
    const e = event({ tags: { os: 'linux', arch: 'x64' }, key: '{"arch":"x64","os":"linux"}' });
    expect(eventJson(e)).toContain(',"KeyValues":{"arch":"x64","os":"linux"},');
    expect(JSON.parse(eventJson(e))).toEqual(eventBody(e));
  });
});
