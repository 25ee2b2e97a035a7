/**
 * The viewer's web server: the page and its assets, and a small JSON API over a `ViewerBackend`.
 * Thin: routing, request checks and error mapping; the data comes from the backend (the runtime's
 * instance view, the graph, the store's list).
 *
 * Takes a backend and a port (0 = any free one); gives `{ url, close }`. Listens on 127.0.0.1
 * only.
 *
 *   const server = await startViewer({ backend: embeddedBackend(db), port: 7480 });
 *   console.log(server.url); // http://127.0.0.1:7480/
 *
 * Routes (JSON; errors are `{ error: { code, message } }` with the API's codes and statuses):
 *   GET  /api/capabilities
 *   GET  /api/instances?workflow=&status=&from=&to=&q=&limit=&cursor=
 *   GET  /api/instances/{id}                 the instance page: view, definition, graph
 *   GET  /api/instances/{id}/versions/{v}    the state saved at version v (time travel)
 *   POST /api/instances/{id}/signal          { "name": "…", "payload": any }
 *   POST /api/instances/{id}/cancel          { "reason"?: "…" }
 *   POST /api/instances/{id}/redrive         {}
 *
 * Why these checks: the server can change instances, and any web page the user visits could try
 * to reach it. Requests must name this server in `Host` (no DNS rebinding); writes must be JSON
 * (a cross-site form cannot send that without a CORS preflight, which is never granted), come from
 * this origin (`Origin`, `Sec-Fetch-Site`) and carry the per-process token the page got in its HTML.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorResponse, MAX_BODY_BYTES } from '../functions/http.ts';
import { MAX_CANCEL_REASON } from '../runtime/index.ts';
import { appAssets } from './assets.ts';
import { ApiError, type ViewerBackend } from './backend.ts';
import { STATUSES, type Json, type ListQuery, type Status } from './types.ts';

export interface ViewerOptions {
  backend: ViewerBackend;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Called with each request that failed unexpectedly (default: console.error). */
  onError?: (e: unknown) => void;
}

export interface Viewer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Longest id, signal name and idempotency key accepted from the page. */
const MAX_ID = 1024;
const MAX_NAME = 256;
const MAX_KEY = 128;

class Reject extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startViewer(opts: ViewerOptions): Promise<Viewer> {
  const token = randomBytes(24).toString('base64url');
  const assets = await appAssets(); // build first: a broken bundle fails the command, not the page
  let port = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const known = answerFor(e);
      if (!known) (opts.onError ?? ((x) => console.error('currant ui:', x)))(e);
      const [status, body] = known ?? [500, { error: { code: 'INTERNAL', message: 'internal error (see the terminal running currant ui)' } }];
      if (!res.headersSent) send(res, status, body);
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkHost(req, port);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && (path === '/' || path === '/index.html')) return page(res, token);
    if (method === 'GET' && path === '/assets/app.js') return asset(res, assets.js, 'text/javascript; charset=utf-8');
    if (method === 'GET' && path === '/assets/app.css') return asset(res, assets.css, 'text/css; charset=utf-8');
    if (!path.startsWith('/api/')) throw new Reject(404, 'NOT_FOUND', `no page ${path.slice(0, 200)}`);

    const parts = path.slice('/api/'.length).split('/').map(decode);
    const b = opts.backend;
    if (method === 'GET') {
      if (parts.length === 1 && parts[0] === 'capabilities') return send(res, 200, await b.capabilities());
      if (parts.length === 1 && parts[0] === 'instances') return send(res, 200, await b.list(listQuery(url.searchParams)));
      if (parts.length === 2 && parts[0] === 'instances') {
        const p = await b.instance(id(parts[1]!));
        if (!p) throw new Reject(404, 'INSTANCE_NOT_FOUND', `no instance '${parts[1]}'`);
        return send(res, 200, p);
      }
      if (parts.length === 4 && parts[0] === 'instances' && parts[2] === 'versions') {
        const v = Number(parts[3]);
        if (!Number.isSafeInteger(v) || v < 1) throw new Reject(400, 'INPUT_INVALID', 'a version is a whole number ≥ 1');
        const at = await b.version(id(parts[1]!), v);
        if (!at) throw new Reject(404, 'VERSION_NOT_KEPT', `version ${v} of '${parts[1]}' is not kept (step history keeps the newest versions only, and none on AWS)`);
        return send(res, 200, at);
      }
    }
    if (method === 'POST' && parts.length === 3 && parts[0] === 'instances') {
      checkWrite(req, token);
      const body = await jsonBody(req);
      const instanceId = id(parts[1]!);
      const key = idempotencyKey(req);
      switch (parts[2]) {
        case 'signal': {
          const { name, payload } = signalBody(body);
          return send(res, 200, await b.signal(instanceId, name, payload, key));
        }
        case 'cancel':
          return send(res, 200, await b.cancel(instanceId, cancelBody(body)));
        case 'redrive':
          if (!isObject(body) || Object.keys(body).length > 0) throw new Reject(400, 'INPUT_INVALID', 'the redrive body is {}');
          return send(res, 200, await b.redrive(instanceId, key));
      }
    }
    const known = ['capabilities', 'instances'].includes(parts[0] ?? '');
    throw new Reject(known ? 405 : 404, known ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', `no route for ${method} ${path.slice(0, 200)}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Request checks
// ---------------------------------------------------------------------------------------------

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `Host` must name this server: a page on another site that resolves its own name to 127.0.0.1 cannot read or write. */
function checkHost(req: IncomingMessage, port: number): void {
  const host = header(req, 'host') ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) throw new Reject(403, 'FORBIDDEN_HOST', 'the viewer answers only requests for 127.0.0.1 or localhost');
}

function checkWrite(req: IncomingMessage, token: string): void {
  const type = header(req, 'content-type') ?? '';
  if (!/^application\/json($|;)/i.test(type)) throw new Reject(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json');
  const origin = header(req, 'origin');
  const host = header(req, 'host');
  if (origin !== undefined && origin !== `http://${host}`) throw new Reject(403, 'FORBIDDEN_ORIGIN', 'writes are accepted from the viewer page only');
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') throw new Reject(403, 'FORBIDDEN_ORIGIN', 'writes are accepted from the viewer page only');
  const given = Buffer.from(header(req, 'x-currant-token') ?? '');
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw new Reject(403, 'FORBIDDEN_TOKEN', 'missing or wrong X-Currant-Token (reload the page)');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new Reject(400, 'BAD_PATH', 'a path segment is not valid percent-encoding');
  }
}

function id(s: string): string {
  if (s.length === 0 || s.length > MAX_ID) throw new Reject(404, 'INSTANCE_NOT_FOUND', 'no instance with that id');
  return s;
}

function idempotencyKey(req: IncomingMessage): string {
  const k = header(req, 'idempotency-key');
  if (k === undefined || k === '') return `ui-${randomUUID()}`;
  if (k.length > MAX_KEY || !/^[\x21-\x7e]+$/.test(k)) throw new Reject(400, 'INPUT_INVALID', `Idempotency-Key is 1 to ${MAX_KEY} printable ASCII characters`);
  return k;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES + 1024) throw new Reject(413, 'BODY_TOO_LARGE', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Reject(400, 'INVALID_JSON', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

function signalBody(body: unknown): { name: string; payload: Json } {
  if (!isObject(body) || Object.keys(body).some((k) => k !== 'name' && k !== 'payload')) {
    throw new Reject(400, 'INPUT_INVALID', 'the signal body is { "name": "…", "payload": any JSON }');
  }
  if (typeof body.name !== 'string' || body.name.length === 0 || body.name.length > MAX_NAME) {
    throw new Reject(400, 'INPUT_INVALID', `a signal name has 1 to ${MAX_NAME} characters`);
  }
  return { name: body.name, payload: (body.payload ?? null) as Json };
}

function cancelBody(body: unknown): string | undefined {
  if (!isObject(body) || Object.keys(body).some((k) => k !== 'reason') || (body.reason !== undefined && typeof body.reason !== 'string')) {
    throw new Reject(400, 'INPUT_INVALID', 'the cancel body is {} or { "reason": "text" }');
  }
  if (typeof body.reason === 'string' && body.reason.length > MAX_CANCEL_REASON) throw new Reject(400, 'VALUE_TOO_LARGE', `a cancel reason has at most ${MAX_CANCEL_REASON} characters`);
  return body.reason as string | undefined;
}

function listQuery(q: URLSearchParams): ListQuery {
  const out: ListQuery = {};
  for (const [k, v] of q) {
    if (v === '') continue;
    if (v.length > 2048) throw new Reject(400, 'INPUT_INVALID', `query parameter '${k.slice(0, 50)}' is too long`);
    switch (k) {
      case 'workflow':
      case 'cursor':
      case 'q':
        out[k] = v;
        break;
      case 'status':
        if (!STATUSES.includes(v as Status)) throw new Reject(400, 'INPUT_INVALID', `status must be one of ${STATUSES.join(', ')}`);
        out.status = v as Status;
        break;
      case 'from':
      case 'to':
        if (Number.isNaN(Date.parse(v))) throw new Reject(400, 'INPUT_INVALID', `${k} must be a date and time`);
        out[k] = new Date(v).toISOString();
        break;
      case 'limit': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 100) throw new Reject(400, 'INPUT_INVALID', 'limit is 1 to 100');
        out.limit = n;
        break;
      }
      default:
        throw new Reject(400, 'INPUT_INVALID', `unknown query parameter '${k.slice(0, 50)}'`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/** Status and body for a known error (ours, the backend's, the runtime's), else undefined (a fault). */
function answerFor(e: unknown): [number, unknown] | undefined {
  if (e instanceof Reject) return [e.status, { error: { code: e.code, message: e.message } }];
  if (e instanceof ApiError) return [e.status, { error: { code: e.code, message: e.message } }];
  const r = errorResponse(e);
  return r ? [r.statusCode, JSON.parse(r.body)] : undefined;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}

function asset(res: ServerResponse, data: Uint8Array, type: string): void {
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
  res.end(data);
}

function page(res: ServerResponse, token: string): void {
  // Graphviz runs as WebAssembly ('wasm-unsafe-eval'); nothing else may load or run.
  const csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': csp, ...SECURITY_HEADERS });
  res.end(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="currant-token" content="${token}">
<title>currant</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`);
}
