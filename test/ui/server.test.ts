/**
 * The viewer's server without a browser: its JSON routes over the embedded database (answers,
 * refusals with codes, nothing changed by a refused request) and over a deployed engine's API
 * (`remoteBackend` against the real api handler behind a local HTTP server, requests signed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../adapters/embedded/index.ts';
import { createApiHandler, type ApiServices } from '../../functions/api.ts';
import { indexWorkflows } from '../../functions/workflows.ts';
import { advance, attemptToken, MemoryStore, ProgramCache, RecordingDispatcher } from '../../runtime/index.ts';
import { ApiError } from '../../ui/backend.ts';
import { embeddedBackend } from '../../ui/embedded.ts';
import { regionOf, remoteBackend } from '../../ui/remote.ts';
import { startViewer, type Viewer } from '../../ui/server.ts';

const WAITS = `
task hello(name: string): string
workflow greet(name: string): string {
  const h = await hello(name)
  const extra = await signal("more")
  return h + extra
}`;

const tmp = mkdtempSync(join(tmpdir(), 'currant-ui-server-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('viewer server over the embedded database', () => {
  let viewer: Viewer;
  let token: string;
  const db = join(tmp, 'v.db');
  const api = (path: string, init?: RequestInit) => fetch(viewer.url + path.replace(/^\//, ''), init);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    api(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-currant-token': token, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    const engine = await createEngine({ dbPath: db, tasks: { hello: async (n: string) => `hello ${n}` } });
    for (const id of ['a-1', 'a-2', 'b-1']) await engine.start({ source: WAITS, file: 'greet.workflow' }, { name: id }, { id });
    await engine.settled();
    await engine.close();
    viewer = await startViewer({ backend: embeddedBackend(db), port: 0 });
    const html = await (await api('/')).text();
    token = /name="currant-token" content="([^"]+)"/.exec(html)![1]!;
  }, 60_000);
  afterAll(() => viewer?.close());

  it('serves the page with a strict content security policy, and its bundled assets', async () => {
    const res = await api('/');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const js = await api('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000); // Graphviz is in it: no CDN
    expect((await api('/nope')).status).toBe(404);
  });

  it('lists with counts, id prefix and time range; refuses bad query parameters with 400', async () => {
    const all = await json(await api('/api/instances'));
    expect(all.items.map((i: { id: string }) => i.id).sort()).toEqual(['a-1', 'a-2', 'b-1']);
    expect(all.counts).toEqual({ waiting: 3 });
    expect((await json(await api('/api/instances?q=a-'))).items.map((i: { id: string }) => i.id).sort()).toEqual(['a-1', 'a-2']);
    expect((await json(await api('/api/instances?to=2000-01-01T00:00:00Z'))).items).toEqual([]);
    const page1 = await json(await api('/api/instances?limit=2'));
    expect(page1.items).toHaveLength(2);
    const page2 = await json(await api(`/api/instances?limit=2&cursor=${page1.cursor}`));
    expect(page2.items).toHaveLength(1);
    for (const q of ['status=bogus', 'limit=0', 'limit=101', 'from=yesterday', 'colour=red', 'cursor=%25%25']) {
      const r = await api(`/api/instances?${q}`);
      expect(r.status, q).toBe(400);
      expect((await json(r)).error.code).toBe('INPUT_INVALID');
    }
  });

  it('gives the instance page (view, definition, graph) and the state at a kept version', async () => {
    const p = await json(await api('/api/instances/a-1'));
    expect(p.instance).toMatchObject({ id: 'a-1', status: 'waiting', variables: { name: 'a-1', h: 'hello a-1' } });
    expect(p.instance.steps.every((s: { version?: number }) => typeof s.version === 'number')).toBe(true);
    expect(p.definition).toMatchObject({ workflow: 'greet', file: 'greet.workflow', source: WAITS });
    expect(p.graph.nodes.map((n: { kind: string }) => n.kind)).toEqual(['start', 'task', 'signal', 'return', 'end']);
    const v1 = await json(await api('/api/instances/a-1/versions/1'));
    expect(v1).toMatchObject({ version: 1, status: 'running', position: { line: 4 }, variables: { name: 'a-1' } });
    expect(v1.pending.tasks).toEqual([expect.objectContaining({ task: 'hello', attempt: 1 })]);
    expect((await api('/api/instances/a-1/versions/99')).status).toBe(404);
    expect((await api('/api/instances/a-1/versions/x')).status).toBe(400);
    expect((await json(await api('/api/instances/nope'))).error.code).toBe('INSTANCE_NOT_FOUND');
    expect((await api('/api/instances/%E0%A4%A')).status).toBe(400);
  });

  it('signals, cancels and refuses to redrive what is not failed; a bad write changes nothing', async () => {
    const before = (await json(await api('/api/instances/a-2'))).instance.version;
    for (const bad of [{}, { name: '' }, { name: 'x'.repeat(300) }, { name: 'more', extra: 1 }, '[1,2]', '{oops']) {
      const r = await post('/api/instances/a-2/signal', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    // over the 5 MiB body limit (functions/http.ts MAX_BODY_BYTES, shared with the REST API)
    expect((await post('/api/instances/a-2/signal', { name: 'more', payload: 'x'.repeat(5 * 1024 * 1024 + 2048) })).status).toBe(413);
    expect((await post('/api/instances/a-2/redrive', {})).status).toBe(409);
    expect((await post('/api/instances/a-2/redrive', { force: true })).status).toBe(400);
    expect((await json(await api('/api/instances/a-2'))).instance.version).toBe(before);

    const sent = await post('/api/instances/a-2/signal', { name: 'more', payload: '!' }, { 'idempotency-key': 'k-1' });
    expect(sent.status).toBe(200);
    expect(await json(sent)).toMatchObject({ status: 'completed', result: 'hello a-2!' });
    // the same key again (a double click) after it finished: refused as finished, applied once
    expect((await post('/api/instances/a-2/signal', { name: 'more', payload: '!' }, { 'idempotency-key': 'k-1' })).status).toBe(409);
    const steps = (await json(await api('/api/instances/a-2'))).instance.steps;
    expect(steps.filter((s: { outcome: string }) => s.outcome === 'received "more"')).toHaveLength(1);

    const cancelled = await post('/api/instances/b-1/cancel', { reason: 'not needed' });
    expect(await json(cancelled)).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED', message: 'not needed' } });
    const late = await post('/api/instances/b-1/signal', { name: 'more' });
    expect(late.status).toBe(409);
    expect((await json(late)).error.code).toBe('INSTANCE_FINISHED');
    expect((await post('/api/instances/b-1/cancel', {})).status).toBe(409);
    expect((await post('/api/instances/b-1/cancel', { reason: 5 })).status).toBe(400);
    expect((await api('/api/instances/b-1/cancel', { method: 'PUT' })).status).toBe(405);
  });
});

describe('viewer over a deployed engine (remoteBackend → the api handler)', () => {
  let server: Server;
  let base: string;
  const seen: Record<string, string | undefined>[] = [];
  let services: ApiServices;
  const store = new MemoryStore();

  beforeAll(async () => {
    let t = Date.parse('2026-01-01T00:00:00.000Z');
    let n = 0;
    services = {
      deps: { store, dispatcher: new RecordingDispatcher(), programs: new ProgramCache(store), clock: { now: () => new Date((t += 1000)), uuid: () => `u${++n}` } },
      workflows: () => indexWorkflows([{ file: 'greet.workflow', source: WAITS }]),
    };
    const handler = createApiHandler(() => services);
    // A stand-in for API Gateway's Lambda proxy integration: HTTP in, APIGatewayProxyEvent to the real handler.
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const url = new URL(req.url!, 'http://x');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
      seen.push(headers);
      const event = {
        httpMethod: req.method,
        path: url.pathname.replace(/^\/prod/, ''),
        body: chunks.length ? Buffer.concat(chunks).toString('utf8') : null,
        headers,
        queryStringParameters: url.searchParams.size ? Object.fromEntries(url.searchParams) : null,
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEvent;
      const out = (await handler(event, {} as Context)) as APIGatewayProxyResult;
      res.writeHead(out.statusCode, out.headers as Record<string, string>);
      res.end(out.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
    await fetch(`${base}/workflows/greet/instances`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: { name: 'r' }, id: 'r-1' }) });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads and acts through the HTTP API, every request signed with SigV4', async () => {
    const b = await remoteBackend(base, { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
    expect(await b.capabilities()).toMatchObject({ mode: 'api', history: false, counts: false, workflows: ['greet'] });
    expect((await b.list({})).items.map((i) => i.id)).toEqual(['r-1']);
    expect((await b.list({ q: 'r-1' })).items.map((i) => i.id)).toEqual(['r-1']);
    expect((await b.list({ q: 'r-' })).items).toEqual([]); // exact ids only on AWS
    const page = (await b.instance('r-1'))!;
    expect(page.definition).toMatchObject({ workflow: 'greet', source: WAITS });
    expect(page.graph!.nodes.map((x) => x.kind)).toEqual(['start', 'task', 'signal', 'return', 'end']);
    expect(await b.instance('nope')).toBeUndefined();
    expect(await b.version('r-1', 1)).toBeUndefined();

    // the task answers, then the signal goes through the API with its idempotency key
    const i = (await store.load('r-1'))!;
    const [[taskId]] = Object.entries(i.tasks);
    await advance(services.deps, 'r-1', { type: 'taskResult', id: `${taskId}#1`, taskId: taskId!, attempt: 1, token: attemptToken(i.secret!, taskId!, 1), ok: true, result: 'hi ' });
    expect(await b.signal('r-1', 'more', 'there', 'key-1')).toMatchObject({ status: 'completed', result: 'hi there' });
    const refused = await b.redrive('r-1', 'key-2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 409, code: 'INSTANCE_NOT_FAILED' });
    await expect(b.cancel('r-1', undefined)).rejects.toMatchObject({ status: 409, code: 'INSTANCE_FINISHED' });

    const signed = seen.filter((h) => h['x-amz-date'] !== undefined);
    expect(signed.length).toBeGreaterThanOrEqual(8);
    for (const h of signed) expect(h.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
    expect(seen.find((h) => h['idempotency-key'] === 'key-1')).toBeDefined();
  });

  it('the viewer server passes the API answers through to the page', async () => {
    const viewer = await startViewer({ backend: await remoteBackend(base, { unsigned: true }), port: 0 });
    try {
      const p = (await (await fetch(`${viewer.url}api/instances/r-1`)).json()) as { instance: { status: string } };
      expect(p.instance.status).toBe('completed');
      expect((await fetch(`${viewer.url}api/instances/nope`)).status).toBe(404);
    } finally {
      await viewer.close();
    }
  });

  it('takes the region from an execute-api URL', () => {
    expect(regionOf('https://abc123.execute-api.eu-central-1.amazonaws.com/prod')).toBe('eu-central-1');
    expect(regionOf('http://127.0.0.1:4566/restapis/x/prod/_user_request_')).toBeUndefined();
  });
});
