import { call, callWithResponse, willow, type Schemas } from '../api';
import { ActionButton, EmptyState, Loaded, ViewHeader } from '../components/ui';
import { count, limitText } from '../format';
import { useResource } from '../resource';
import { href } from '../router';

type Queue = Schemas['QueueResponse'];

const QUEUE_EVENTS = /^(item|queue)\./;

export function pauseQueue(name: string, paused: boolean): Promise<unknown> {
  return call(willow().api.PUT('/v1/queues/{Name}', { params: { path: { Name: name } }, body: { Paused: paused } }));
}

export function PauseButton({ queue, done }: { queue: Queue; done: () => void }) {
  return queue.Paused ? (
    <ActionButton label="Resume" run={() => pauseQueue(queue.Name, false)} done={done} />
  ) : (
    <ActionButton label="Pause" run={() => pauseQueue(queue.Name, true)} done={done} />
  );
}

/** Saves a consistent copy of the store (GET /v1/backup) as a file download, under the name the server gives it. */
export async function downloadBackup(): Promise<void> {
  const { data, response } = await callWithResponse(willow().api.GET('/v1/backup', { parseAs: 'blob' }));
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? 'willow-backup.db';
  const url = URL.createObjectURL(data as Blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function QueuesView() {
  const queues = useResource(() => call(willow().api.GET('/v1/queues', { params: { query: { Limit: 10_000 } } })), [], (e) => QUEUE_EVENTS.test(e.Type));
  return (
    <section aria-labelledby="queues-title">
      <ViewHeader title={<span id="queues-title">Queues</span>} sub="Items waiting, scheduled and being processed, per queue." resource={queues}>
        <ActionButton label="Download backup" run={downloadBackup} done={() => {}} />
      </ViewHeader>
      <Loaded resource={queues}>{(list) => (list.length ? <QueueTable queues={list} reload={queues.reload} /> : <NoQueues />)}</Loaded>
    </section>
  );
}

function NoQueues() {
  return (
    <EmptyState title="No queues yet — create one with the API or the CLI:">
      <pre>
        <code>{`curl -X POST ${location.origin}/v1/queues \\\n  -d '{"Name": "builds"}'\n\nwillow queues create builds`}</code>
      </pre>
    </EmptyState>
  );
}

export function QueueTable({ queues, reload }: { queues: readonly Queue[]; reload: () => void }) {
  return (
    <div class="table-wrap">
      <table class="queues stack">
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col" class="num" title="Items in line, scheduled ones included">
              Waiting
            </th>
            <th scope="col" class="num" title="Waiting items not yet due (a delay or a retry's backoff)">
              Scheduled
            </th>
            <th scope="col" class="num">
              Processing
            </th>
            <th scope="col" class="num">
              Channels
            </th>
            <th scope="col" class="num narrow-hide">
              Max items
            </th>
            <th scope="col">Paused</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.Name} data-queue={q.Name}>
              <th scope="row">
                <a href={href({ view: 'queue', name: q.Name, tab: 'channels', state: null })}>{q.Name}</a>
              </th>
              <td class="num" data-col="waiting" data-label="Waiting">
                {count(q.Waiting)}
              </td>
              <td class="num" data-col="scheduled" data-label="Scheduled">
                {count(q.Scheduled)}
              </td>
              <td class="num" data-col="processing" data-label="Processing">
                {count(q.Processing)}
              </td>
              <td class="num" data-col="channels" data-label="Channels">
                {count(q.Channels)}
              </td>
              <td class="num narrow-hide">{limitText(q.MaxItems)}</td>
              <td data-col="paused" data-label="Paused">{q.Paused ? <span class="badge paused">paused</span> : <span class="muted">no</span>}</td>
              <td class="actions">
                <PauseButton queue={q} done={reload} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
