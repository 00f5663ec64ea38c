import { call, willow, type KeyValues, type Schemas } from '../api';
import { ActionButton, EmptyState, Loaded, TagList } from '../components/ui';
import { count, fullTime, json, relative, shortId } from '../format';
import { useResource } from '../resource';

type DeadLetter = Schemas['DeadLetterResponse'];

export function DeadLettersTab({ queue }: { queue: string }) {
  const dead = useResource(
    () => call(willow().api.GET('/v1/queues/{Name}/dead-letters', { params: { path: { Name: queue }, query: { Limit: 1000 } } })),
    [queue],
    (e) => e.Queue === queue && (e.Type === 'item.dead' || e.Type === 'item.enqueued' || e.Type === 'queue.resumed'),
  );
  return (
    <Loaded resource={dead}>
      {(list) =>
        list.length ? (
          <DeadLetterTable queue={queue} letters={list} reload={dead.reload} />
        ) : (
          <EmptyState title="No dead letters">An item lands here when it fails more often than its RetryAttempts allow.</EmptyState>
        )
      }
    </Loaded>
  );
}

function requeue(queue: string, id: string) {
  return call(willow().api.POST('/v1/queues/{Name}/dead-letters/{ID}/requeue', { params: { path: { Name: queue, ID: id } } }));
}

function remove(queue: string, id: string) {
  return call(willow().api.DELETE('/v1/queues/{Name}/dead-letters/{ID}', { params: { path: { Name: queue, ID: id } } }));
}

export function DeadLetterTable({ queue, letters, reload }: { queue: string; letters: readonly DeadLetter[]; reload: () => void }) {
  return (
    <div class="table-wrap">
      <table class="dead-letters stack">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Reason</th>
            <th scope="col">Last error</th>
            <th scope="col">Died</th>
            <th scope="col" class="narrow-hide">
              Data
            </th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {letters.map((d) => (
            <tr key={d.ID} data-dead-letter={d.ID}>
              <td class="tags-cell wide">
                <TagList tags={d.KeyValues as KeyValues} />
                <span class="item-id mono" title={d.ID}>
                  {shortId(d.ID)}
                </span>
              </td>
              <td class="num" data-label="Attempts">{count(d.Attempts)}</td>
              <td data-label="Reason">{d.Reason}</td>
              <td class="last-error" data-label="Last error">{d.LastError ? <span title={d.LastError}>{d.LastError}</span> : <span class="muted">—</span>}</td>
              <td class="nowrap" data-label="Died" title={fullTime(d.DeadAt)}>{relative(d.DeadAt)}</td>
              <td class="mono small narrow-hide" title={json(d.Data, 4_000)}>
                {json(d.Data, 48)}
              </td>
              <td class="actions wide">
                <ActionButton label="Requeue" run={() => requeue(queue, d.ID)} done={reload} />
                <ActionButton label="Delete" confirm="Delete for good?" run={() => remove(queue, d.ID)} done={reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
