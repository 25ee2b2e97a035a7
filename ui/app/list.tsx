/**
 * The instance list: counts by status (each a filter), filters by workflow, status and creation
 * time, search by id, newest first, paginated with the store's cursor; refreshed every few seconds
 * while on the first page. The filters live in the URL (`#/?workflow=…&status=…`), so a filtered
 * list can be bookmarked and the back button works.
 */
import { useEffect, useState } from 'preact/hooks';
import { STATUSES, type Capabilities, type InstanceList, type ListQuery, type Status } from '../types.ts';
import { api } from './api.ts';
import { short, time } from './format.ts';
import { instanceHref } from './routes.ts';

const PAGE = 25;
const REFRESH_MS = 3000;

function queryOf(q: URLSearchParams): ListQuery {
  const out: ListQuery = { limit: PAGE };
  const status = q.get('status');
  if (status && STATUSES.includes(status as Status)) out.status = status as Status;
  for (const k of ['workflow', 'q', 'from', 'to', 'cursor'] as const) {
    const v = q.get(k);
    if (v) out[k] = v;
  }
  return out;
}

function go(q: Record<string, string | undefined>): void {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) qs.set(k, v);
  location.hash = `#/?${qs}`;
}

/** `datetime-local` value (local time) ⇄ ISO. */
const toLocal = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocal = (v: string) => (v ? new Date(v).toISOString() : undefined);

export function ListPage({ caps, query }: { caps: Capabilities; query: URLSearchParams }) {
  const q = queryOf(query);
  const key = query.toString();
  const [data, setData] = useState<InstanceList>();
  const [error, setError] = useState<string>();
  const [search, setSearch] = useState(q.q ?? '');
  const [history, setHistory] = useState<string[]>([]); // cursors of the pages before this one

  useEffect(() => {
    let live = true;
    const load = () =>
      api.list(q).then(
        (d) => live && (setData(d), setError(undefined)),
        (e: Error) => live && setError(e.message),
      );
    void load();
    const timer = q.cursor ? undefined : setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [key]);

  const base = { workflow: q.workflow, status: q.status, q: q.q, from: q.from, to: q.to };
  const total = data?.counts ? Object.values(data.counts).reduce((a, b) => a + (b ?? 0), 0) : undefined;

  return (
    <section class="list">
      <h1>Instances</h1>
      {caps.counts && data?.counts && (
        <nav class="counts" aria-label="counts by status">
          <a class={`chip ${q.status ? '' : 'on'}`} href={`#/?${new URLSearchParams(Object.entries({ ...base, status: '', cursor: '' }).filter(([, v]) => v) as [string, string][])}`} data-status="all">
            all <b>{total}</b>
          </a>
          {STATUSES.map((s) => (
            <a class={`chip status-${s} ${q.status === s ? 'on' : ''}`} data-status={s} href={`#/?${new URLSearchParams(Object.entries({ ...base, status: s }).filter(([, v]) => v) as [string, string][])}`}>
              {s} <b>{data.counts![s] ?? 0}</b>
            </a>
          ))}
        </nav>
      )}
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ ...base, q: search.trim() || undefined });
        }}
      >
        <label>
          workflow{' '}
          <select value={q.workflow ?? ''} onChange={(e) => go({ ...base, workflow: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {caps.workflows.map((w) => (
              <option value={w}>{w}</option>
            ))}
          </select>
        </label>
        <label>
          status{' '}
          <select name="status" value={q.status ?? ''} onChange={(e) => go({ ...base, status: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        {caps.timeFilter && (
          <>
            <label>
              created from <input type="datetime-local" value={toLocal(q.from)} onChange={(e) => go({ ...base, from: fromLocal((e.target as HTMLInputElement).value) })} />
            </label>
            <label>
              to <input type="datetime-local" value={toLocal(q.to)} onChange={(e) => go({ ...base, to: fromLocal((e.target as HTMLInputElement).value) })} />
            </label>
          </>
        )}
        <label>
          {caps.idPrefix ? 'id starts with' : 'id'}{' '}
          <input name="q" type="search" value={search} maxLength={1024} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} placeholder="search by id" />
        </label>
        <button type="submit">Search</button>
      </form>
      {error && <p class="error">{error}</p>}
      {data && data.items.length === 0 && <p class="empty">No instances{q.status || q.workflow || q.q || q.from || q.to ? ' match these filters' : ' yet'}.</p>}
      {data && data.items.length > 0 && (
        <table class="instances">
          <thead>
            <tr>
              <th>id</th>
              <th>workflow</th>
              <th>status</th>
              <th>line</th>
              <th>created</th>
              <th>updated</th>
              <th>result or error</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((i) => (
              <tr data-id={i.id}>
                <td>
                  <a href={instanceHref(i.id)}>{i.id}</a>
                </td>
                <td>{i.workflow}</td>
                <td>
                  <span class={`badge status-${i.status}`}>{i.status}</span>
                </td>
                <td>{i.at?.line ?? ''}</td>
                <td title={i.createdAt}>{time(i.createdAt)}</td>
                <td title={i.updatedAt}>{time(i.updatedAt)}</td>
                <td class="outcome">{i.error ? short(`${i.error.code} ${i.error.message}`) : i.result !== undefined ? short(JSON.stringify(i.result)) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pages">
        {q.cursor && (
          <button
            type="button"
            onClick={() => {
              const prev = history.slice(0, -1);
              setHistory(prev);
              go({ ...base, cursor: history[history.length - 1] });
            }}
          >
            ← Newer
          </button>
        )}
        {data?.cursor && (
          <button
            type="button"
            onClick={() => {
              setHistory([...history, q.cursor ?? '']);
              go({ ...base, cursor: data.cursor });
            }}
          >
            Older →
          </button>
        )}
      </nav>
    </section>
  );
}
