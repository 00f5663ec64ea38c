import { useState } from 'preact/hooks';
import { call, callWithResponse, willow, type KeyValues, type Schemas } from '../api';
import { ActionButton, EmptyState, Loaded, StateBadge, TagList } from '../components/ui';
import { count, fullTime, relative, shortId } from '../format';
import { useResource } from '../resource';
import { href, type ItemState } from '../router';

type Item = Schemas['ItemSummaryResponse'] & { Position?: number };

const PAGE = 50;
const FILTERS: readonly { state: ItemState | null; label: string }[] = [
  { state: null, label: 'All' },
  { state: 'waiting', label: 'Waiting' },
  { state: 'scheduled', label: 'Scheduled' },
  { state: 'processing', label: 'Processing' },
];

/** Set once inspecting an item was refused (403: a key without the scope to get items): positions are not asked again. */
let positionsRefused = false;

/** Listings leave Position out; each waiting item of the page is inspected for it, a few at a time. */
async function withPositions(queue: string, items: readonly Item[]): Promise<Item[]> {
  const out = [...items];
  let next = 0;
  const worker = async () => {
    while (next < out.length && !positionsRefused) {
      const i = next++;
      if (out[i]!.State === 'processing') continue;
      const { data, response } = await willow().api.GET('/v1/queues/{Name}/items/{ID}', { params: { path: { Name: queue, ID: out[i]!.ID } } });
      if (response.status === 403) positionsRefused = true;
      // Gone in between (acked, cancelled): the next refresh drops the row.
      if (data) out[i] = { ...out[i]!, Position: data.Position };
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return out;
}

export function ItemsTab({ queue, state }: { queue: string; state: ItemState | null }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const [history, setHistory] = useState<(string | null)[]>([]);
  const items = useResource(
    async () => {
      const { data, response } = await callWithResponse(
        willow().api.POST('/v1/queues/{Name}/items/query', {
          params: { path: { Name: queue }, query: { Limit: PAGE, ...(state ? { State: state } : {}), ...(cursor ? { Cursor: cursor } : {}) } },
          body: {},
        }),
      );
      return { items: await withPositions(queue, data), next: response.headers.get('Willow-Next-Cursor') };
    },
    [queue, state, cursor],
    (e) => e.Queue === queue && e.Type.startsWith('item.'),
    // A page costs one request per waiting item (for its position): refreshed at most every 3 s under load.
    { maxWaitMs: 3_000 },
  );
  const page = (to: string | null, back = false) => {
    setHistory(back ? history.slice(0, -1) : [...history, cursor]);
    setCursor(to);
  };
  return (
    <>
      <div class="filters" role="group" aria-label="State">
        {FILTERS.map((f) => (
          <a key={f.label} class="chip" href={href({ view: 'queue', name: queue, tab: 'items', state: f.state })} aria-current={f.state === state ? 'true' : undefined}>
            {f.label}
          </a>
        ))}
      </div>
      <Loaded resource={items}>
        {({ items: list, next }) =>
          list.length ? (
            <>
              <ItemTable queue={queue} items={list} reload={items.reload} />
              {(next || history.length > 0) && (
                <div class="pager">
                  <button type="button" disabled={history.length === 0} onClick={() => page(history[history.length - 1] ?? null, true)}>
                    Previous
                  </button>
                  <button type="button" disabled={!next} onClick={() => next && page(next)}>
                    Next {PAGE}
                  </button>
                </div>
              )}
            </>
          ) : (
            <EmptyState title={state ? `No ${state} items` : 'No items in this queue'}>
              Items appear here from enqueue until they are acked, cancelled or become dead letters.
            </EmptyState>
          )
        }
      </Loaded>
    </>
  );
}

function cancelItem(queue: string, id: string) {
  return call(willow().api.DELETE('/v1/queues/{Name}/items/{ID}', { params: { path: { Name: queue, ID: id } } }));
}

export function ItemTable({ queue, items, reload }: { queue: string; items: readonly Item[]; reload: () => void }) {
  return (
    <div class="table-wrap">
      <table class="items stack">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">State</th>
            <th scope="col" class="num">
              Priority
            </th>
            <th scope="col" class="num">
              Attempt
            </th>
            <th scope="col" class="num" title="Waiting items ahead of it in its channel's line">
              Position
            </th>
            <th scope="col">Not before</th>
            <th scope="col">Last error</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.ID} data-item={item.ID}>
              <td class="tags-cell wide">
                <TagList tags={item.KeyValues as KeyValues} />
                <span class="item-id mono" title={`${item.ID}${item.EnqueuedAt ? `\nenqueued ${fullTime(item.EnqueuedAt)}` : ''}`}>
                  {shortId(item.ID)}
                </span>
              </td>
              <td data-label="State">
                <span>
                  <StateBadge state={item.State} />
                  {item.State === 'processing' && item.ExpiresAt && (
                    <span class="small muted lease" title={fullTime(item.ExpiresAt)}>
                      lease ends {relative(item.ExpiresAt)}
                    </span>
                  )}
                </span>
              </td>
              <td class="num" data-label="Priority">{count(item.Priority)}</td>
              <td class="num" data-label="Attempt">{count(item.Attempt)}</td>
              <td class="num" data-label="Position">{item.Position === undefined ? <span class="muted">—</span> : count(item.Position)}</td>
              <td class="nowrap" data-label="Not before" title={fullTime(item.NotBefore)}>{item.NotBefore ? relative(item.NotBefore) : <span class="muted">—</span>}</td>
              <td class="last-error" data-label="Last error">{item.LastError ? <span title={item.LastError}>{item.LastError}</span> : <span class="muted">—</span>}</td>
              <td class="actions wide">
                <ActionButton label="Cancel" confirm="Cancel item?" run={() => cancelItem(queue, item.ID)} done={reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
