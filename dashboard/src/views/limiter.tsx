import { Fragment } from 'preact';
import { call, willow, type KeyValues, type Schemas } from '../api';
import { EmptyState, Loaded, TagList, UsageBar, ViewHeader } from '../components/ui';
import { count, limitText } from '../format';
import type { WillowEvent } from '../events';
import { useResource } from '../resource';

type Rule = Schemas['RuleResponse'];
type Counter = Schemas['CounterResponse'];

/** Willow's running counters move when items start and stop; other counters change through the API, unseen. */
const COUNTER_EVENTS = /^(item\.(dequeued|acked|failed|expired|cancelled|dead)|channel\.)/;
const affectsCounters = (e: WillowEvent) => COUNTER_EVENTS.test(e.Type);
/** Counters whose limits are asked for; past this the usage table says it is partial. */
const EXPLAINED_COUNTERS = 200;

interface Usage {
  readonly rule: string;
  readonly override: string | undefined;
  readonly group: KeyValues;
  readonly count: number;
  readonly limit: number;
}

/** Every limit that applies to some counter, once per group of key values, from the limiter's own explain. */
async function usageOf(counters: readonly Counter[]): Promise<Usage[]> {
  const found = new Map<string, Usage>();
  let next = 0;
  const worker = async () => {
    while (next < Math.min(counters.length, EXPLAINED_COUNTERS)) {
      const tags = counters[next++]!.KeyValues as KeyValues;
      const explained = await call(willow().api.POST('/v1/limiter/explain', { body: { KeyValues: tags } }));
      for (const l of explained.Limits) {
        const group = Object.fromEntries(l.GroupBy.filter((k) => k in tags).map((k) => [k, tags[k]!]));
        const id = JSON.stringify([l.Rule, l.Override ?? null, Object.entries(group).sort()]);
        found.set(id, { rule: l.Rule, override: l.Override, group, count: l.Count, limit: l.Limit });
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return [...found.values()].sort((a, b) => a.rule.localeCompare(b.rule) || (a.override ?? '').localeCompare(b.override ?? '') || JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));
}

export function LimiterView() {
  const rules = useResource(() => call(willow().api.GET('/v1/limiter/rules', { params: { query: { Limit: 10_000 } } })), [], () => false);
  const counters = useResource(
    async () => {
      const list = await call(willow().api.GET('/v1/limiter/counters', { params: { query: { Limit: 10_000 } } }));
      return { list, usage: await usageOf(list) };
    },
    [],
    affectsCounters,
    // One explain per counter: refreshed at most every 3 s under load.
    { maxWaitMs: 3_000 },
  );
  const both = { ...counters, loading: rules.loading || counters.loading, reload: () => (rules.reload(), counters.reload()) };
  return (
    <section aria-labelledby="limiter-title">
      <ViewHeader title={<span id="limiter-title">Limiter</span>} sub="Rules cap how many items run at once per group of tag keys." resource={both} />
      <h2>Usage against limits</h2>
      <Loaded resource={counters}>{({ list, usage }) => <UsageTable usage={usage} partial={list.length > EXPLAINED_COUNTERS} />}</Loaded>
      <h2>Rules and overrides</h2>
      <Loaded resource={rules}>{(list) => (list.length ? <RuleTable rules={list} /> : <NoRules />)}</Loaded>
      <h2>Counters</h2>
      <Loaded resource={counters}>{({ list }) => <CounterTable counters={list} />}</Loaded>
    </section>
  );
}

function NoRules() {
  return (
    <EmptyState title="No rules yet — items run without limits. Create one with:">
      <pre>
        <code>{`curl -X POST ${location.origin}/v1/limiter/rules \\\n  -d '{"Name": "per_branch", "GroupBy": ["repo_name", "branch_name"], "Limit": 1}'`}</code>
      </pre>
    </EmptyState>
  );
}

export function UsageTable({ usage, partial }: { usage: readonly Usage[]; partial: boolean }) {
  if (!usage.length) return <EmptyState title="No counter is under a limit right now">Counters appear while items run (or clients increment them); limits show here once a rule applies to one.</EmptyState>;
  return (
    <div class="table-wrap">
      {partial && <p class="small muted">Showing the limits of the first {EXPLAINED_COUNTERS} counters.</p>}
      <table class="usage-table stack">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Override</th>
            <th scope="col">Group</th>
            <th scope="col">Count / limit</th>
          </tr>
        </thead>
        <tbody>
          {usage.map((u) => (
            <tr key={JSON.stringify([u.rule, u.override, u.group])} data-usage={u.rule}>
              <td class="wide strong">{u.rule}</td>
              <td data-label="Override">{u.override ?? <span class="muted">—</span>}</td>
              <td class="tags-cell wide">
                <TagList tags={u.group} />
              </td>
              <td class="wide">
                <UsageBar used={u.count} limit={u.limit} label={`${u.rule} usage`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RuleTable({ rules }: { rules: readonly Rule[] }) {
  return (
    <div class="table-wrap">
      <table class="rules stack">
        <thead>
          <tr>
            <th scope="col">Rule / override</th>
            <th scope="col">Group by / tags</th>
            <th scope="col" class="num">
              Limit
            </th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <Fragment key={r.Name}>
              <tr data-rule={r.Name} class="rule-row">
                <th scope="row">{r.Name}</th>
                <td class="mono small" data-label="Group by">{r.GroupBy.join(', ')}</td>
                <td class="num" data-label="Limit">{limitText(r.Limit)}</td>
              </tr>
              {r.Overrides.map((o) => (
                <tr key={`${r.Name}/${o.Name}`} data-override={o.Name} class="override-row">
                  <td class="wide">
                    <span class="override-name">↳ {o.Name}</span>
                  </td>
                  <td class="tags-cell wide">
                    <TagList tags={o.KeyValues as KeyValues} />
                  </td>
                  <td class="num" data-label="Limit">{limitText(o.Limit)}</td>
                </tr>
              ))}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function CounterTable({ counters }: { counters: readonly Counter[] }) {
  if (!counters.length) return <EmptyState title="No counters">A counter exists while it is above zero.</EmptyState>;
  return (
    <div class="table-wrap">
      <table class="counters stack">
        <thead>
          <tr>
            <th scope="col">Tags</th>
            <th scope="col" class="num">
              Counters
            </th>
          </tr>
        </thead>
        <tbody>
          {counters.map((c) => (
            <tr key={JSON.stringify(c.KeyValues)}>
              <td class="tags-cell wide">
                <TagList tags={c.KeyValues as KeyValues} />
              </td>
              <td class="num" data-label="Counters">{count(c.Counters)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
