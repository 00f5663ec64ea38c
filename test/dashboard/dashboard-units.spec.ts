import { count, limitText, relative, shortId } from '../../dashboard/src/format';
import { href, parseRoute, type Route } from '../../dashboard/src/routes';
import { SseParser } from '../../dashboard/src/sse';

/** The dashboard's plain functions, without a browser. */

function parse(chunks: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const sut = new SseParser((type, data) => out.push([type, data]));
  for (const chunk of chunks) sut.push(chunk);
  return out;
}

describe(SseParser.name, () => {
  const stream = ': connected\n\ndata: {"Type":"item.enqueued"}\n\n: heartbeat\n\nevent: overflow\ndata: {"Type":"overflow"}\n\n';

  it('emits each event once its blank line arrives, whatever the chunks', () => {
    const expected = [
      ['message', '{"Type":"item.enqueued"}'],
      ['overflow', '{"Type":"overflow"}'],
    ];
    expect(parse([stream])).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut++) expect(parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(expected);
    expect(parse([...stream])).toEqual(expected);
  });

  it('joins data lines, takes CR, LF and CRLF endings, and a CRLF split between chunks is one ending', () => {
    expect(parse(['data: a\r\ndata: b\r\n\r\n'])).toEqual([['message', 'a\nb']]);
    expect(parse(['data: a\r', '\ndata: b\r', '\n', '\r\n'])).toEqual([['message', 'a\nb']]);
    expect(parse(['data: a\rdata: b\r\r'])).toEqual([['message', 'a\nb']]);
  });

  it('holds an event whose blank line has not come yet, and ignores unknown fields', () => {
    expect(parse(['id: 7\nretry: 10\ndata: x\n'])).toEqual([]);
    expect(parse(['id: 7\nretry: 10\ndata: x\n', '\n'])).toEqual([['message', 'x']]);
  });
});

describe('routes', () => {
  const routes: Route[] = [
    { view: 'queues' },
    { view: 'queue', name: 'builds', tab: 'channels', state: null },
    { view: 'queue', name: 'git commits/ci #1 %', tab: 'items', state: 'scheduled' },
    { view: 'queue', name: 'a', tab: 'items', state: null },
    { view: 'queue', name: 'ü', tab: 'dead-letters', state: null },
    { view: 'limiter' },
    { view: 'locks' },
    { view: 'activity' },
  ];

  it.each(routes)('round-trips %j through the URL fragment', (route) => {
    expect(parseRoute(href(route))).toEqual(route);
  });

  it('falls back to the queues for anything it does not know', () => {
    expect(parseRoute('')).toEqual({ view: 'queues' });
    expect(parseRoute('#/nope')).toEqual({ view: 'queues' });
    expect(parseRoute('#/queues/%E0%A4%A')).toEqual({ view: 'queues' });
    expect(parseRoute('#/queues/q/items?state=bogus')).toEqual({ view: 'queue', name: 'q', tab: 'items', state: null });
  });
});

describe('formatting', () => {
  it('writes counts with grouping and limits with their meaning', () => {
    expect([count(0), count(9001), count(undefined)]).toEqual(['0', '9,001', '—']);
    expect([limitText(-1), limitText(0), limitText(4)]).toEqual(['unlimited', '0', '4']);
  });

  it('says times relative to now in the nearest sensible unit', () => {
    const now = Date.parse('2026-12-06T09:00:00Z');
    const at = (ms: number) => new Date(now + ms).toISOString();
    expect(relative(at(0), now)).toBe('now');
    expect(relative(at(-12_000), now)).toBe('12 s ago');
    expect(relative(at(10 * 60_000), now)).toBe('in 10 min');
    expect(relative(at(3_600_000 - 1_000), now)).toBe('in 1 h');
    expect(relative(at(2 * 86_400_000), now)).toBe('in 2 d');
    expect(relative(undefined, now)).toBe('—');
  });

  it('shortens ids to their distinguishing end', () => {
    expect(shortId('01M95A9HHAD0QWFFB5EMR2XCBG')).toBe('…EMR2XCBG');
    expect(shortId('lk_short')).toBe('lk_short');
  });
});
