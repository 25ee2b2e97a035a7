/**
 * One instance: status and actions (signal, cancel, redrive), the graph with the path taken and
 * where it is now, the source with the current line, the variables, pending work, input, result or
 * error, and the timeline of steps. Polls every second until the instance ends (live updates).
 *
 * Time travel: a step with a version (the embedded engine keeps each step's state) opens the
 * instance as it was saved after that step — position, variables, pending work — in the graph,
 * the source and the panels, until "back to now".
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Capabilities, InstancePage as Page, Json, Step, VersionView } from '../types.ts';
import { api, RequestError } from './api.ts';
import { clock, duration, json, relative, time } from './format.ts';
import { GraphView } from './graph.tsx';
import { marksOf } from './marks.ts';
import { instanceHref } from './routes.ts';

const POLL_MS = 1000;
const FINAL = new Set(['completed', 'failed', 'cancelled']);

const randomKey = (what: string) => `ui-${what}-${crypto.randomUUID()}`;

export function InstancePage({ caps, id }: { caps: Capabilities; id: string }) {
  const [page, setPage] = useState<Page>();
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<number>();
  const [past, setPast] = useState<VersionView>();
  const [pastError, setPastError] = useState<string>();
  const [tick, setTick] = useState(0);

  const version = page?.instance.version;
  const status = page?.instance.status;
  useEffect(() => {
    let live = true;
    const load = () =>
      api.instance(id).then(
        (p) => {
          if (!live) return;
          setError(undefined);
          setPage((old) => (old && old.instance.version === p.instance.version && old.instance.updatedAt === p.instance.updatedAt ? old : p));
        },
        (e: unknown) => {
          if (!live) return;
          if (e instanceof RequestError && e.status === 404) setMissing(true);
          else setError((e as Error).message);
        },
      );
    void load();
    // live updates until it ends; a redrive makes it run again, so an action also triggers a load
    const timer = status && FINAL.has(status) ? undefined : setInterval(load, POLL_MS);
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [id, status, tick]);

  useEffect(() => {
    if (selected === undefined) {
      setPast(undefined);
      return;
    }
    let live = true;
    setPastError(undefined);
    api.version(id, selected).then(
      (v) => live && setPast(v),
      (e: Error) => live && (setPast(undefined), setPastError(e.message)),
    );
    return () => {
      live = false;
    };
  }, [id, selected]);

  const marks = useMemo(() => {
    if (!page?.graph) return undefined;
    const i = page.instance;
    if (past) {
      const steps = i.steps.filter((s) => s.version !== undefined && s.version <= past.version);
      return marksOf(page.graph, { steps, pending: past.pending, status: past.status, error: past.status === 'failed' ? i.error : undefined, position: past.position });
    }
    return marksOf(page.graph, { steps: i.steps, pending: i.pending, status: i.status, error: i.error, position: i.at });
  }, [page, past]);

  if (missing) return <p class="error">No instance with the id {JSON.stringify(id)}.</p>;
  if (!page) return <p>{error ?? 'Loading…'}</p>;
  const i = page.instance;
  const position = past ? past.position : i.at;
  const variables = past ? past.variables : i.variables;
  const pending = past ? past.pending : i.pending;
  const refresh = () => setTick((t) => t + 1);

  return (
    <section class="instance" data-status={i.status}>
      <div class="title">
        <h1>
          <span class="id">{i.id}</span> <span class={`badge status-${i.status}`} data-testid="status">{i.status}</span>
        </h1>
        <p class="meta">
          workflow <b>{i.workflow}</b>
          {page.definition && <> ({page.definition.file})</>} · version {i.version} · created <span title={i.createdAt}>{time(i.createdAt)}</span> · updated{' '}
          <span title={i.updatedAt}>{time(i.updatedAt)}</span>
          {!FINAL.has(i.status) && <span class="live"> · live</span>}
          {i.parent && (
            <span data-testid="parent">
              {' '}
              · child workflow of <a href={instanceHref(i.parent.id)}>{i.parent.id}</a> ({i.parent.awaited ? 'awaited' : 'detached'})
            </span>
          )}
        </p>
        {error && <p class="error">{error}</p>}
      </div>

      <Actions caps={caps} page={page} onDone={refresh} />

      {past && (
        <p class="travel" data-testid="time-travel">
          Showing the state after step version {past.version} ({time(past.at)}, {past.status}).{' '}
          <button type="button" onClick={() => setSelected(undefined)}>
            Back to now
          </button>
        </p>
      )}
      {pastError && <p class="error">{pastError}</p>}

      <div class="panes">
        <div class="pane">
          <h2>Graph</h2>
          {page.graph && marks ? <GraphView graph={page.graph} marks={marks} /> : <p class="empty">No graph (the definition is not available).</p>}
        </div>
        <div class="pane">
          <h2>Source</h2>
          {page.definition ? <Source source={page.definition.source} line={position?.line} errorLine={!past && i.status === 'failed' ? i.error?.line : undefined} /> : <p class="empty">The definition is not available.</p>}
        </div>
      </div>

      <div class="panes">
        <div class="pane">
          <h2>Variables {past ? `at version ${past.version}` : 'now'}</h2>
          {variables ? <Values values={variables} /> : <p class="empty">{(past ? past.status : i.status) === 'running' || (past ? past.status : i.status) === 'waiting' ? 'none' : 'none: the instance has ended'}</p>}
          <h2>Pending</h2>
          <PendingView pending={pending} />
        </div>
        <div class="pane">
          <h2>Input</h2>
          <pre class="json">{json(i.input as Json)}</pre>
          {i.result !== undefined && (
            <>
              <h2>Result</h2>
              <pre class="json" data-testid="result">
                {json(i.result)}
              </pre>
            </>
          )}
          {i.children && i.children.length > 0 && (
            <>
              <h2>Child workflows</h2>
              <table class="children" data-testid="children">
                <tbody>
                  {i.children.map((c) => (
                    <tr key={c.id} data-id={c.id}>
                      <td>
                        <a href={instanceHref(c.id)}>{c.id}</a>
                      </td>
                      <td>{c.workflow}</td>
                      <td>
                        <span class={`badge status-${c.status === 'detached' ? 'running' : c.status}`}>{c.status}</span>
                      </td>
                      <td>line {c.line}</td>
                      <td title={c.startedAt}>{time(c.startedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {i.error && (
            <>
              <h2>Error</h2>
              <p class="error" data-testid="error">
                <b>{i.error.code}</b> {i.error.message}
                {i.error.line !== undefined && <> (line {i.error.line})</>}
              </p>
            </>
          )}
        </div>
      </div>

      <h2>Timeline</h2>
      <p class="hint">{caps.history ? 'Pick a step to see the variables and position after it.' : `Step history: ${caps.historyNote}.`}</p>
      <Timeline steps={i.steps} selected={selected} canTravel={caps.history} onSelect={setSelected} />
    </section>
  );
}

function Actions({ caps, page, onDone }: { caps: Capabilities; page: Page; onDone: () => void }) {
  const i = page.instance;
  const awaited = i.pending.signals.map((s) => s.name);
  const [name, setName] = useState(awaited[0] ?? '');
  const [payload, setPayload] = useState('{}');
  const [key, setKey] = useState(() => randomKey('signal'));
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!name && awaited[0]) setName(awaited[0]);
  }, [awaited.join('\u0000')]);
  const run = async (what: () => Promise<unknown>, ok: string) => {
    setBusy(true);
    try {
      await what();
      setMessage({ ok: true, text: ok });
      onDone();
      return true;
    } catch (e) {
      setMessage({ ok: false, text: e instanceof RequestError ? `${e.code}: ${e.message}` : String(e) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  const open = !FINAL.has(i.status);
  return (
    <div class="actions">
      {open && (
        <form
          class="signal"
          onSubmit={async (e) => {
            e.preventDefault();
            let value: Json;
            try {
              value = JSON.parse(payload) as Json;
            } catch (err) {
              setMessage({ ok: false, text: `the payload is not valid JSON: ${(err as Error).message}` });
              return;
            }
            if (await run(() => api.signal(i.id, name, value, key), `signal "${name}" sent`)) setKey(randomKey('signal'));
          }}
        >
          <label>
            signal <input name="signal" list="awaited-signals" value={name} required maxLength={256} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </label>
          <datalist id="awaited-signals">
            {awaited.map((n) => (
              <option value={n} />
            ))}
          </datalist>
          <label>
            payload (JSON) <textarea name="payload" rows={2} value={payload} onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" disabled={busy}>
            Send signal
          </button>
        </form>
      )}
      {open &&
        (confirming ? (
          <span class="confirm">
            Cancel this instance?{' '}
            <button type="button" class="danger" disabled={busy} onClick={() => void run(() => api.cancel(i.id, undefined, randomKey('cancel')), 'cancelled').then(() => setConfirming(false))}>
              Yes, cancel it
            </button>{' '}
            <button type="button" onClick={() => setConfirming(false)}>
              No
            </button>
          </span>
        ) : (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Cancel instance
          </button>
        ))}
      {i.status === 'failed' && i.redrive && (
        <span class="redrive">
          <button
            type="button"
            disabled={busy || !i.redrive.possible}
            title={i.redrive.possible ? `run ${i.redrive.task} (line ${i.redrive.line}) again as attempt 1` : i.redrive.reason}
            // the key names this failure (its version): a double click redrives once
            onClick={() => void run(() => api.redrive(i.id, `ui-redrive-v${i.version}`), 'redriven: the failed task is sent again')}
          >
            Redrive
          </button>{' '}
          {i.redrive.possible ? (
            <span class="hint">
              resumes at line {i.redrive.line}: {i.redrive.task} runs again as attempt 1{caps.mode === 'embedded' ? ' (carried out by the process running this database: currant worker)' : ''}
            </span>
          ) : (
            <span class="hint" data-testid="redrive-refusal">
              cannot redrive: {i.redrive.reason}
            </span>
          )}
        </span>
      )}
      {message && (
        <p class={message.ok ? 'ok' : 'error'} data-testid="action-message">
          {message.text}
        </p>
      )}
    </div>
  );
}

function Source({ source, line, errorLine }: { source: string; line?: number; errorLine?: number }) {
  const lines = source.split('\n');
  useEffect(() => {
    document.querySelector('.source .current-line')?.scrollIntoView({ block: 'nearest' });
  }, [line]);
  return (
    <pre class="source" data-testid="source">
      {lines.map((text, k) => {
        const n = k + 1;
        const cls = [n === line ? 'current-line' : '', n === errorLine ? 'error-line' : ''].filter(Boolean).join(' ');
        return (
          <div class={`line ${cls}`} data-line={n}>
            <span class="ln">{n}</span>
            <span class="mark">{n === errorLine ? '✖' : n === line ? '▶' : ' '}</span>
            <span class="code">{text || ' '}</span>
          </div>
        );
      })}
    </pre>
  );
}

function Values({ values }: { values: Record<string, Json> }) {
  const names = Object.keys(values);
  if (names.length === 0) return <p class="empty">none</p>;
  return (
    <table class="vars" data-testid="variables">
      <tbody>
        {names.map((n) => (
          <tr>
            <th>{n}</th>
            <td>
              <pre class="json">{json(values[n])}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PendingView({ pending }: { pending: Page['instance']['pending'] }) {
  const { tasks, timers, signals } = pending;
  const shown = timers.filter((t) => t.purpose === 'sleep' || t.purpose === 'signalTimeout');
  if (tasks.length + shown.length + signals.length === 0) return <p class="empty">nothing</p>;
  return (
    <ul class="pending" data-testid="pending">
      {tasks.map((t) => (
        <li>
          task <b>{t.task}</b> (line {t.line}){' '}
          {t.retryAt !== undefined ? (
            <>
              attempt {t.attempt + 1} of {t.of} <span title={t.retryAt}>{relative(t.retryAt)}</span>
            </>
          ) : (
            <>
              attempt {t.attempt} of {t.of}, sent <span title={t.sentAt}>{relative(t.sentAt)}</span>
            </>
          )}
          {t.lastError && <span class="error"> — last error: {t.lastError}</span>}
        </li>
      ))}
      {shown.map((t) => (
        <li>
          {t.purpose === 'sleep' ? 'sleep' : 'signal timeout'} due <span title={t.fireAt}>{time(t.fireAt)}</span> ({relative(t.fireAt)})
        </li>
      ))}
      {signals.map((s) => (
        <li>
          waiting for signal <b>{s.name}</b>
          {s.line !== undefined && <> (line {s.line})</>} since <span title={s.since}>{time(s.since)}</span>
          {s.timeout && <>, timeout {s.timeout}</>}
        </li>
      ))}
    </ul>
  );
}

function Timeline({ steps, selected, canTravel, onSelect }: { steps: Step[]; selected?: number; canTravel: boolean; onSelect: (v: number | undefined) => void }) {
  if (steps.length === 0) return <p class="empty">no steps</p>;
  return (
    <table class="timeline" data-testid="timeline">
      <thead>
        <tr>
          <th>time</th>
          <th>step</th>
          <th>line</th>
          <th>outcome</th>
          <th>took</th>
          {canTravel && <th>state</th>}
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => {
          const bad = s.kind === 'fail' || (s.kind === 'task' && /^(failed|timed out|not sent)/.test(s.outcome)) || s.level === 'error';
          return (
            <tr class={`step kind-${s.kind} ${bad ? 'bad' : ''} ${s.version !== undefined && s.version === selected ? 'selected' : ''}`} data-version={s.version}>
              <td title={time(s.at)}>{clock(s.at)}</td>
              <td>
                <span class={`kind kind-${s.kind}`}>{s.kind === 'log' && s.level && s.level !== 'info' ? `log ${s.level}` : s.kind}</span>
                {s.task && <> {s.task}</>}
                {s.attempt !== undefined && s.attempt > 1 && s.kind === 'task' && <> (attempt {s.attempt})</>}
              </td>
              <td>{s.line ?? ''}</td>
              <td class="outcome">{s.outcome}</td>
              <td>{duration(s.durationMs)}</td>
              {canTravel && (
                <td>
                  {s.version !== undefined && (
                    <button type="button" class="link" onClick={() => onSelect(s.version === selected ? undefined : s.version)}>
                      {s.version === selected ? 'shown' : `v${s.version}`}
                    </button>
                  )}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
