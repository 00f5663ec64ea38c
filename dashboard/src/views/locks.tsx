import { call, willow, type KeyValues, type Schemas } from '../api';
import { EmptyState, Loaded, TagList, ViewHeader } from '../components/ui';
import { count, fullTime, relative, shortId } from '../format';
import { useResource } from '../resource';

type Lock = Schemas['LockInfoResponse'];

export function LocksView() {
  const locks = useResource(() => call(willow().api.POST('/v1/locks/query', { params: { query: { Limit: 10_000 } }, body: {} })), [], (e) => e.Type.startsWith('lock.'));
  return (
    <section aria-labelledby="locks-title">
      <ViewHeader title={<span id="locks-title">Locks</span>} sub="Held locks, their fencing tokens and how many wait for them." resource={locks} />
      <Loaded resource={locks}>
        {(list) =>
          list.length ? (
            <LockTable locks={list} />
          ) : (
            <EmptyState title="No locks held">A lock shows here from its grant until it is released or its lease runs out.</EmptyState>
          )
        }
      </Loaded>
    </section>
  );
}

export function LockTable({ locks }: { locks: readonly Lock[] }) {
  return (
    <div class="table-wrap">
      <table class="locks stack">
        <thead>
          <tr>
            <th scope="col">Tags</th>
            <th scope="col" class="num" title="Rises with every grant of this tag set">
              Fencing token
            </th>
            <th scope="col" class="num">
              Waiters
            </th>
            <th scope="col">Lease ends</th>
            <th scope="col" class="narrow-hide">
              Lock
            </th>
          </tr>
        </thead>
        <tbody>
          {locks.map((l) => (
            <tr key={l.LockID} data-lock={l.LockID}>
              <td class="tags-cell wide">
                <TagList tags={l.KeyValues as KeyValues} />
              </td>
              <td class="num" data-label="Fencing token">{count(l.FencingToken)}</td>
              <td class="num" data-label="Waiters">{l.Waiters > 0 ? <strong>{count(l.Waiters)}</strong> : count(l.Waiters)}</td>
              <td class="nowrap" data-label="Lease ends" title={fullTime(l.ExpiresAt)}>{relative(l.ExpiresAt)}</td>
              <td class="mono small narrow-hide" title={l.LockID}>
                {shortId(l.LockID)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
