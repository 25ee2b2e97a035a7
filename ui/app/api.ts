/**
 * The page's calls to its server (ui/server.ts): JSON in and out, writes with the per-process token
 * the server put in the page, an idempotency key per action so a double click applies once.
 *
 *   const page = await api.instance('order-1');
 *   await api.signal('order-1', 'approval', { approved: true }, key);
 */
import type { Capabilities, InstanceJson, InstanceList, InstancePage, Json, ListQuery, VersionView } from '../types.ts';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const token = (): string => document.querySelector('meta[name="currant-token"]')?.getAttribute('content') ?? '';

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, key?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (method === 'POST') {
    headers['Content-Type'] = 'application/json';
    headers['X-Currant-Token'] = token();
    if (key) headers['Idempotency-Key'] = key;
  }
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) throw new RequestError(res.status, data?.error?.code ?? `HTTP_${res.status}`, data?.error?.message ?? `HTTP ${res.status}`);
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  capabilities: () => call<Capabilities>('GET', '/api/capabilities'),
  list: (q: ListQuery) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') qs.set(k, String(v));
    return call<InstanceList>('GET', `/api/instances?${qs}`);
  },
  instance: (id: string) => call<InstancePage>('GET', `/api/instances/${enc(id)}`),
  version: (id: string, v: number) => call<VersionView>('GET', `/api/instances/${enc(id)}/versions/${v}`),
  signal: (id: string, name: string, payload: Json, key: string) => call<InstanceJson>('POST', `/api/instances/${enc(id)}/signal`, { name, payload }, key),
  cancel: (id: string, reason: string | undefined, key: string) => call<InstanceJson>('POST', `/api/instances/${enc(id)}/cancel`, reason ? { reason } : {}, key),
  redrive: (id: string, key: string) => call<InstanceJson>('POST', `/api/instances/${enc(id)}/redrive`, {}, key),
};
