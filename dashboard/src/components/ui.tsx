import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type KeyValues, type Schemas } from '../api';
import { clock, count, limitText } from '../format';
import type { Resource } from '../resource';

/** A tag set as key=value chips; reserved keys (`_willow_queue`) are dimmed. */
export function TagList({ tags }: { tags: KeyValues | undefined }) {
  if (!tags) return <span class="muted">—</span>;
  return (
    <span class="tags">
      {Object.entries(tags).map(([key, value]) => (
        <span class={key.startsWith('_') ? 'tag reserved' : 'tag'} key={key} title={`${key} = ${JSON.stringify(value)}`}>
          <span class="tag-key">{key}</span>
          <span class="tag-value">{typeof value === 'string' ? value : JSON.stringify(value)}</span>
        </span>
      ))}
    </span>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" role="status">
      <p class="empty-title">{title}</p>
      {children && <div class="empty-hint">{children}</div>}
    </div>
  );
}

export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="error-note" role="alert">
      <span>{errorText(error)}</span>
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Count against a limit: a bar that turns amber near the limit and red at it; unlimited shows no bar. */
export function UsageBar({ used, limit, label }: { used: number; limit: number; label?: string }) {
  if (limit === -1) {
    return (
      <span class="usage">
        <span class="usage-text num">{count(used)} / unlimited</span>
      </span>
    );
  }
  const ratio = limit === 0 ? 1 : Math.min(1, used / limit);
  const level = used >= limit ? 'full' : ratio >= 0.75 ? 'high' : 'ok';
  return (
    <span class="usage" role="meter" aria-label={label ?? 'usage'} aria-valuemin={0} aria-valuemax={Math.max(limit, used)} aria-valuenow={used}>
      <span class="bar">
        <span class={`bar-fill ${level}`} style={{ width: `${Math.round(ratio * 100)}%` }} />
      </span>
      <span class="usage-text num">
        {count(used)} / {limitText(limit)}
      </span>
    </span>
  );
}

export function BlockedByBadge({ blocked }: { blocked: Schemas['BlockedByResponse'] | undefined }) {
  if (!blocked) return <span class="badge ok">flowing</span>;
  const by = blocked.Override ? `${blocked.Rule} / ${blocked.Override}` : blocked.Rule;
  return (
    <span class="badge blocked" title={`Refused by ${by}: ${blocked.Count} running of at most ${blocked.Limit}`}>
      blocked by {by} <span class="num">({count(blocked.Count)}/{limitText(blocked.Limit)})</span>
    </span>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{state}</span>;
}

/** A destructive action asks once more on the button itself; failures show next to it. */
export function ActionButton({ label, confirm, run, done }: { label: string; confirm?: string; run: () => Promise<unknown>; done: () => void }) {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!armed) return;
    const timer = setTimeout(() => setArmed(false), 4_000);
    return () => clearTimeout(timer);
  }, [armed]);
  const click = async () => {
    if (confirm && !armed) {
      setArmed(true);
      return;
    }
    setArmed(false);
    setBusy(true);
    setError(null);
    try {
      await run();
      done();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" class={confirm ? (armed ? 'danger armed' : 'danger') : ''} disabled={busy} onClick={click}>
        {busy ? '…' : armed ? confirm : label}
      </button>
      {error !== null && (
        <span class="action-error" role="alert">
          {errorText(error)}
        </span>
      )}
    </span>
  );
}

/** A view's title, when its data was fetched, and a Refresh button. */
export function ViewHeader({ title, sub, resource, children }: { title: ComponentChildren; sub?: ComponentChildren; resource?: Resource<unknown>; children?: ComponentChildren }) {
  return (
    <header class="view-header">
      <div>
        <h1>{title}</h1>
        {sub && <p class="sub">{sub}</p>}
      </div>
      <div class="view-actions">
        {children}
        {resource && (
          <>
            <span class="muted small" aria-live="polite">
              {resource.loading ? 'Loading…' : resource.at ? `Updated ${clock(resource.at)}` : ''}
            </span>
            <button type="button" onClick={resource.reload}>
              Refresh
            </button>
          </>
        )}
      </div>
    </header>
  );
}

/** Loading, error and empty states around a view's table. */
export function Loaded<T>({ resource, children }: { resource: Resource<T>; children: (data: T) => ComponentChildren }) {
  if (resource.data === undefined) {
    if (resource.error !== undefined) return <ErrorNote error={resource.error} retry={resource.reload} />;
    return <p class="muted loading">Loading…</p>;
  }
  return (
    <>
      {resource.error !== undefined && <ErrorNote error={resource.error} retry={resource.reload} />}
      {children(resource.data)}
    </>
  );
}
