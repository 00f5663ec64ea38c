import { useState } from 'preact/hooks';
import { call, willow, type KeyValues, type Schemas } from '../api';
import { BlockedByBadge, EmptyState, ErrorNote, Loaded, TagList, UsageBar } from '../components/ui';
import { count, fullTime, relative } from '../format';
import { useResource } from '../resource';

type Channel = Schemas['ChannelResponse'];

export function ChannelsTab({ queue }: { queue: string }) {
  const channels = useResource(
    () => call(willow().api.GET('/v1/queues/{Name}/channels', { params: { path: { Name: queue }, query: { Limit: 1000 } } })),
    [queue],
    (e) => e.Queue === queue,
  );
  return (
    <Loaded resource={channels}>
      {(list) =>
        list.length ? (
          <div class="table-wrap">
            <table class="channels stack">
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col" class="num">
                    Waiting
                  </th>
                  <th scope="col" class="num">
                    Scheduled
                  </th>
                  <th scope="col" class="num">
                    Processing
                  </th>
                  <th scope="col">Next due</th>
                  <th scope="col">Limits</th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <ChannelRow key={JSON.stringify(c.KeyValues)} queue={queue} channel={c} />
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <EmptyState title="No channels in this queue">A channel appears with the first item enqueued with its tag set, and goes once it holds no item.</EmptyState>
        )
      }
    </Loaded>
  );
}

export function ChannelRow({ queue, channel }: { queue: string; channel: Channel }) {
  const [open, setOpen] = useState(channel.BlockedBy !== undefined);
  return (
    <>
      <tr data-channel={JSON.stringify(channel.KeyValues)}>
        <td class="tags-cell wide">
          <TagList tags={channel.KeyValues as KeyValues} />
        </td>
        <td class="num" data-label="Waiting">{count(channel.Waiting)}</td>
        <td class="num" data-label="Scheduled">{count(channel.Scheduled)}</td>
        <td class="num" data-label="Processing">{count(channel.Processing)}</td>
        <td class="nowrap" data-label="Next due" title={fullTime(channel.NextDueAt)}>
          {channel.NextDueAt ? relative(channel.NextDueAt) : <span class="muted">—</span>}
        </td>
        <td class="wide">
          <span class="limits-cell">
            <BlockedByBadge blocked={channel.BlockedBy} />
            <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? 'Hide explain' : 'Explain'}
            </button>
          </span>
        </td>
      </tr>
      {open && (
        <tr class="detail">
          <td colSpan={6} class="wide">
            <Explain tags={{ ...(channel.KeyValues as KeyValues), _willow_queue: queue }} />
          </td>
        </tr>
      )}
    </>
  );
}

/** The limiter's explain for a channel's running counter: every enforced limit and how full it is. */
export function Explain({ tags }: { tags: KeyValues }) {
  const explained = useResource(
    () => call(willow().api.POST('/v1/limiter/explain', { body: { KeyValues: tags } })),
    [JSON.stringify(tags)],
    (e) => /^(item|channel)\./.test(e.Type),
  );
  if (explained.error !== undefined && !explained.data) return <ErrorNote error={explained.error} retry={explained.reload} />;
  const result = explained.data;
  if (!result) return <p class="muted">Asking the limiter…</p>;
  return (
    <div class="explain" aria-label="Limiter explain">
      {result.Limits.length === 0 ? (
        <p class="muted">No limiter rule applies to this channel: its items run without a limit.</p>
      ) : (
        <table class="compact stack">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Override</th>
              <th scope="col">Group by</th>
              <th scope="col">Running / limit</th>
            </tr>
          </thead>
          <tbody>
            {result.Limits.map((l) => (
              <tr key={`${l.Rule}/${l.Override ?? ''}`}>
                <td data-label="Rule">{l.Rule}</td>
                <td data-label="Override">{l.Override ?? <span class="muted">—</span>}</td>
                <td class="mono small" data-label="Group by">{l.GroupBy.join(', ')}</td>
                <td class="wide">
                  <UsageBar used={l.Count} limit={l.Limit} label={`${l.Rule} usage`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="small muted">{result.Allowed ? 'One more item of this channel may start now.' : 'No more items of this channel may start until a limit frees up.'}</p>
    </div>
  );
}
