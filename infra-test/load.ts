/**
 * `npm run bench:load`: many instances at once, on the emulator and on the embedded engine.
 *
 * Takes flags (all optional):
 *   --only embedded,fanin,fanin50,mix   phases to run (default all)
 *   --instances N      instances in the mix (default 1000)
 *   --fanin N          items of the single large fan-in (default 1000)
 *   --fanins N --fanin-items M   the concurrent fan-ins (default 50 instances of 300 items)
 *   --parallel N       API requests in flight while starting the mix (default 8: each one in flight
 *                      is a Lambda worker process on the emulator's machine)
 *   --fanin-parallel N the same for the fan-ins (default 2: each start sends 300 task messages, and
 *                      the emulator's SQS takes a few hundred a second; a start that passes the
 *                      API's 29 s leaves tasks unsent until their timeout)
 *   --json             print the report as JSON
 * Gives a report on stdout and `.infra/load-result.json`:
 *   - embedded: the mix started at once in one process (SQLite file, default task slots);
 *   - fanin: one instance fanning out N trivial tasks whose results arrive together (emulator);
 *   - fanin50: 50 such instances of 300 items at once (emulator);
 *   - mix: N instances started through the REST API (order, approval with signals, cancels and
 *     timeouts, fanout, fanin, polling with sleeps, saga, a task retried by design), on the emulator.
 * For each: wall time, awaits per second, task-await latency p50/p99 (from an attempt's send to the
 * workflow resuming with its result), whether every instance reached the right terminal state,
 * messages left in any DLQ, attempts run more than once (every task counts its executions:
 * infra-test/load/counted.ts), and on the emulator the step function's DynamoDB writes per task
 * result (UpdateItem calls, and write units) from its CURRANT_METRICS lines.
 *
 * The emulator deploys its own app (infra-test/load/app.ts): the engine over the mix's workflows and
 * one task function whose tasks are the examples' own, counted. Lambdas run as local processes, so
 * they append to a file here. Everything is endpoint-driven like the other infra scripts, but the
 * counting needs a shared disk: this benchmark is for the emulator.
 */
import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine, DEFAULT_CONCURRENCY } from '../adapters/embedded/index.ts';
import { DynamoStore } from '../adapters/aws/store.ts';
import { isFinal, type Instance, type StepLog, type Value } from '../runtime/index.ts';
import { CurrantApi } from './client.ts';
import { bootstrap, deployStack, INFRA_DIR, REGION, restApiUrl, ROOT, startEmulator, type Emulator } from './emulator.ts';

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const k = argv.indexOf(`--${name}`);
  if (k < 0) return dflt;
  const n = Number(argv[k + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a whole number >= 1, got '${argv[k + 1]}'`);
  return n;
};
const ONLY = (() => {
  const k = argv.indexOf('--only');
  return new Set(k < 0 ? ['embedded', 'fanin', 'fanin50', 'mix'] : (argv[k + 1] ?? '').split(','));
})();
const INSTANCES = flag('instances', 1000);
const FANIN = flag('fanin', 1000);
const FANINS = flag('fanins', 50);
const FANIN_ITEMS = flag('fanin-items', 300);
const PARALLEL = flag('parallel', 8);
const FANIN_PARALLEL = flag('fanin-parallel', 2);
const JSON_OUT = argv.includes('--json');

// ---------------------------------------------------------------------------------------------
// The mix
// ---------------------------------------------------------------------------------------------

/** One instance to start: what to do after the start, and how to tell it ended right. */
interface Spec {
  id: string;
  workflow: string;
  input: Record<string, Value>;
  then?: { signal: string; payload: Value } | 'cancel';
  /** A problem with the final instance, or undefined when it is what it should be. */
  check: (i: Instance) => string | undefined;
}

const expect = (status: Instance['status'], result?: (r: unknown) => boolean, error?: (e: Instance['error']) => boolean) => (i: Instance) => {
  if (i.status !== status) return `status ${i.status}, expected ${status} (${JSON.stringify(i.error ?? i.result)?.slice(0, 200)})`;
  if (result && !result(i.result)) return `result ${JSON.stringify(i.result)?.slice(0, 200)}`;
  if (error && !error(i.error)) return `error ${JSON.stringify(i.error)}`;
  return undefined;
};
const eq = (want: unknown) => (got: unknown) => JSON.stringify(got) === JSON.stringify(want);
const sumOfSquares = (n: number) => (n * (n + 1) * (2 * n + 1)) / 6;
const range = (n: number) => Array.from({ length: n }, (_, k) => k + 1);

/** A fan-in of n trivial tasks: `faninLoad` (infra-test/load/fanin.workflow, a 30-minute task timeout) or the example. */
export function faninSpec(id: string, n: number, workflow: 'faninLoad' | 'fanin' = 'faninLoad'): Spec {
  return { id, workflow, input: { items: range(n) }, check: expect('completed', eq({ count: n, sum: sumOfSquares(n) })) };
}

/** `n` instances: order 25% (a fifth refunded), approval 25% (approved, rejected, expired, cancelled), fanout 10%, fanin 5%, polling 15%, saga 10% (half failing), retrying 10%. */
export function mix(n: number, prefix: string): Spec[] {
  const fruits = ['apple', 'banana', 'cherry', 'damson', 'elder', 'fig', 'grape', 'huckleberry'];
  const kinds: ((k: number) => Spec)[] = [];
  const add = (share: number, make: (k: number) => Spec) => {
    for (let j = 0; j < share; j++) kinds.push(make);
  };
  add(20, (k) => ({ id: `${prefix}order-${k}`, workflow: 'processOrder', input: { orderId: `o-${k}`, amount: 42 }, check: expect('completed', eq(`TRK-o-${k}`)) }));
  add(5, (k) => ({ id: `${prefix}order-${k}`, workflow: 'processOrder', input: { orderId: `backorder-${k}`, amount: 42 }, check: expect('completed', eq('refunded')) }));
  add(15, (k) => ({ id: `${prefix}approve-${k}`, workflow: 'approval', input: { requestId: `r-${k}`, amount: 10 }, then: { signal: 'approval', payload: { approved: true, by: `u${k}` } }, check: expect('completed', eq(`approved by u${k}`)) }));
  add(3, (k) => ({ id: `${prefix}reject-${k}`, workflow: 'approval', input: { requestId: `r-${k}`, amount: 10 }, then: { signal: 'approval', payload: { approved: false } }, check: expect('completed', eq('rejected')) }));
  add(2, (k) => ({ id: `${prefix}expire-${k}`, workflow: 'approval', input: { requestId: `r-${k}`, amount: 10 }, check: expect('completed', eq('expired: nobody answered in time')) }));
  add(5, (k) => ({ id: `${prefix}cancel-${k}`, workflow: 'approval', input: { requestId: `r-${k}`, amount: 10 }, then: 'cancel', check: expect('cancelled') }));
  add(10, (k) => ({ id: `${prefix}fanout-${k}`, workflow: 'fanout', input: { items: fruits }, check: expect('completed', (r) => (r as { count: number; totalSize: number }).count === 8 && (r as { totalSize: number }).totalSize === fruits.join('').length) }));
  add(5, (k) => faninSpec(`${prefix}fanin-${k}`, 40, 'fanin'));
  add(15, (k) => ({ id: `${prefix}polling-${k}`, workflow: 'polling', input: { name: `p${k}` }, check: expect('completed', eq({ jobId: `job-p${k}`, checks: 3, result: `job-p${k}: 3 pages, 42 rows` })) }));
  add(5, (k) => ({ id: `${prefix}trip-${k}`, workflow: 'bookTrip', input: { trip: `t${k}`, to: 'Lisbon' }, check: expect('completed', eq({ hotel: `hotel-t${k}`, flight: `flight-t${k}`, car: `car-t${k}` })) }));
  add(5, (k) => ({ id: `${prefix}trip-${k}`, workflow: 'bookTrip', input: { trip: `t${k}`, to: 'Atlantis' }, check: expect('failed', undefined, (e) => e?.code === 'CR017' && e.message === `trip t${k} not booked (NoSeats: no seats to Atlantis)`) }));
  add(10, (k) => ({ id: `${prefix}retry-${k}`, workflow: 'retrying', input: { n: k }, check: expect('completed', eq(k * 2)) }));
  // Spread the kinds evenly through the start order.
  return Array.from({ length: n }, (_, k) => kinds[(k * 37) % kinds.length]!(k));
}

// ---------------------------------------------------------------------------------------------
// The generated folder: workflows of the mix, and one counted tasks module
// ---------------------------------------------------------------------------------------------

const EXAMPLES = ['order', 'approval', 'fanout', 'fanin', 'polling', 'saga'];

async function prepare(dir: string): Promise<{ tasksModule: string; workflows: Map<string, { source: string; file: string }> }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'workflows'), { recursive: true });
  const files = [
    ...EXAMPLES.flatMap((e) => readdirSync(join(ROOT, 'examples', e)).filter((f) => f.endsWith('.workflow')).map((f) => join(ROOT, 'examples', e, f))),
    join(ROOT, 'infra-test', 'load', 'retrying.workflow'),
    join(ROOT, 'infra-test', 'load', 'fanin.workflow'),
  ];
  const workflows = new Map<string, { source: string; file: string }>();
  for (const f of files) {
    const to = join(dir, 'workflows', f.includes('/infra-test/') ? `load-${f.slice(f.lastIndexOf('/') + 1)}` : f.slice(f.lastIndexOf('/') + 1));
    copyFileSync(f, to);
    const source = readFileSync(f, 'utf8');
    const name = /workflow\s+(\w+)/.exec(source.replace(/\/\/.*$/gm, ''))![1]!;
    workflows.set(name, { source, file: to });
  }
  const modules = [...EXAMPLES.map((e) => join(ROOT, 'examples', e, 'tasks.ts')), join(ROOT, 'infra-test', 'load', 'tasks.ts')];
  const lines = [`import { counted } from ${JSON.stringify(join(ROOT, 'infra-test', 'load', 'counted.ts'))};`];
  const exported: string[] = [];
  for (const [k, m] of modules.entries()) {
    lines.push(`import * as m${k} from ${JSON.stringify(m)};`);
    const mod = (await import(pathToFileURL(m).href)) as Record<string, unknown>;
    for (const name of Object.keys(mod).filter((x) => typeof mod[x] === 'function')) {
      exported.push(`export const ${name} = counted(m${k}.${name});`);
    }
  }
  const tasksModule = join(dir, 'tasks.ts');
  writeFileSync(tasksModule, `// Generated by infra-test/load.ts: every task of the mix, counted.\n${lines.join('\n')}\n${exported.join('\n')}\n`);
  return { tasksModule, workflows };
}

// ---------------------------------------------------------------------------------------------
// Measures
// ---------------------------------------------------------------------------------------------

interface PhaseReport {
  phase: string;
  where: 'embedded' | 'emulator';
  instances: number;
  wallSeconds: number;
  awaits: number;
  awaitsPerSecond: number;
  /** Task awaits: from the attempt's send to the instance resuming with its result, ms. */
  latencyMs: { samples: number; p50: number; p99: number; max: number };
  wrong: string[];
  /** Attempts whose task ran more than once (by the executions the tasks counted). */
  attemptsRunTwice: number;
  executions: number;
  /** Attempts past the first: by design (retrying.workflow) or not (a timeout, a lost message). */
  retries: { byDesign: number; other: number };
  dlqMessages?: number;
  startLatencyMs?: { p50: number; p99: number };
  dynamo?: { results: number; resultRecordsLogged: number; updateItemPerResult: number; writeUnitsPerResult: number; getItemPerResult: number };
  notes: string[];
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};

/** Awaits an instance made, from its step log: task results applied, sleeps and signal waits over, signals received. */
function awaitsOf(steps: StepLog[]): number {
  return steps.filter((s) => (s.kind === 'task' && s.attempt !== 0) || s.kind === 'timer' || (s.kind === 'signal' && s.outcome.startsWith('received'))).length;
}

/** Task-await latencies (a task step's `latencyMs`: from the attempt's send to its outcome applied). */
function latencies(finals: Instance[]): number[] {
  return finals.flatMap((i) => i.steps.filter((s) => s.kind === 'task' && s.attempt !== 0 && s.latencyMs !== undefined).map((s) => s.latencyMs!));
}

/** Executions per attempt from the count file, for the given instances. */
function executions(file: string, ids: Set<string>): { total: number; twice: number; byDesign: number; other: number } {
  const per = new Map<string, number>();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [instance, taskId, attempt] = line.split(' ');
      if (!instance || !ids.has(instance)) continue;
      const key = `${instance} ${taskId} ${attempt}`;
      per.set(key, (per.get(key) ?? 0) + 1);
    }
  }
  let byDesign = 0;
  let other = 0;
  for (const key of per.keys()) {
    const [instance, , attempt] = key.split(' ');
    if (Number(attempt) > 1) (/retry-/.test(instance!) ? byDesign++ : other++);
  }
  return { total: [...per.values()].reduce((a, b) => a + b, 0), twice: [...per.values()].filter((v) => v > 1).length, byDesign, other };
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await fn(items[k]!);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Embedded
// ---------------------------------------------------------------------------------------------

async function embeddedPhase(dir: string, tasksModule: string, workflows: Map<string, { source: string; file: string }>): Promise<PhaseReport> {
  const countFile = join(dir, 'embedded-runs.log');
  writeFileSync(countFile, '');
  process.env.CURRANT_COUNT_FILE = countFile;
  const specs = mix(INSTANCES, 'e-');
  const engine = await createEngine({ dbPath: join(dir, 'embedded.db'), tasksModule });
  try {
    const t0 = performance.now();
    // All at once: one process, no API in between.
    await Promise.all(
      specs.map(async (s) => {
        await engine.start(workflows.get(s.workflow)!, s.input, { id: s.id });
        if (s.then === 'cancel') await engine.cancel(s.id, 'load test');
        else if (s.then) await engine.signal(s.id, s.then.signal, s.then.payload);
      }),
    );
    const finals = await Promise.all(specs.map((s) => engine.waitFor(s.id)));
    const wall = (performance.now() - t0) / 1000;
    const latency = latencies(finals);
    const wrong = specs.flatMap((s, k) => {
      const p = s.check(finals[k]!);
      return p ? [`${s.id}: ${p}`] : [];
    });
    const awaits = finals.reduce((n, i) => n + awaitsOf(i.steps), 0);
    const ex = executions(countFile, new Set(specs.map((s) => s.id)));
    return {
      phase: `mix of ${specs.length}`,
      where: 'embedded',
      instances: specs.length,
      wallSeconds: wall,
      awaits,
      awaitsPerSecond: awaits / wall,
      latencyMs: { samples: latency.length, p50: quantile(latency, 0.5), p99: quantile(latency, 0.99), max: Math.max(...latency) },
      wrong,
      attemptsRunTwice: ex.twice,
      executions: ex.total,
      retries: { byDesign: ex.byDesign, other: ex.other },
      notes: [`one process, SQLite file, ${DEFAULT_CONCURRENCY} task slots (the default), started with Promise.all`, `load average ${loadavg()[0]!.toFixed(1)}`],
    };
  } finally {
    await engine.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Emulator
// ---------------------------------------------------------------------------------------------

interface Deployed {
  emu: Emulator;
  out: Record<string, string>;
  api: CurrantApi;
  ddb: DynamoDBClient;
  sqs: SQSClient;
  store: DynamoStore;
  countFile: string;
}

async function deploy(dir: string): Promise<Deployed> {
  const emu = await startEmulator();
  try {
    await bootstrap(emu);
    const countFile = join(dir, 'emulator-runs.log');
    writeFileSync(countFile, '');
    const out = await deployStack(emu, { stack: 'CurrantLoad', app: 'npx tsx infra-test/load/app.ts', context: { 'currant:loadDir': dir, 'currant:countFile': countFile } });
    const client = { endpoint: emu.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const ddb = new DynamoDBClient(client);
    return { emu, out, api: new CurrantApi(restApiUrl(emu, out.ApiId!, out.ApiStage!), { region: REGION }), ddb, sqs: new SQSClient(client), store: new DynamoStore(ddb, out.TableName!), countFile };
  } catch (e) {
    await emu.stop();
    throw e;
  }
}

async function dlqMessages(d: Deployed): Promise<number> {
  const { QueueUrls = [] } = await d.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'CurrantLoad-' }));
  let n = 0;
  for (const url of QueueUrls.filter((u) => /Dlq/.test(u))) {
    const a = await d.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }));
    n += Object.values(a.Attributes ?? {}).reduce((s, v) => s + Number(v), 0);
  }
  return n;
}

/** Statuses of many instances, read straight from the table (100 keys per BatchGetItem). */
async function statuses(d: Deployed, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let k = 0; k < ids.length; k += 100) {
    let keys = ids.slice(k, k + 100).map((id) => ({ id: { S: id } }));
    while (keys.length > 0) {
      const r = await d.ddb.send(new BatchGetItemCommand({ RequestItems: { [d.out.TableName!]: { Keys: keys, ProjectionExpression: 'id, #s', ExpressionAttributeNames: { '#s': 'status' } } } }));
      for (const it of r.Responses?.[d.out.TableName!] ?? []) out.set(it.id!.S!, it.status!.S!);
      keys = (r.UnprocessedKeys?.[d.out.TableName!]?.Keys ?? []) as typeof keys;
    }
  }
  return out;
}

async function emulatorPhase(d: Deployed, name: string, specs: Spec[], timeoutMs: number, parallel = PARALLEL): Promise<PhaseReport> {
  const startMs: number[] = [];
  const notes: string[] = [];
  const t0 = performance.now();
  const logOffset = readFileSync(d.emu.logFile, 'utf8').length;
  const failedCalls: string[] = [];
  await pool(specs, parallel, async (s) => {
    const a = performance.now();
    const r = await d.api.start(s.workflow, s.input, s.id);
    startMs.push(performance.now() - a);
    // Not retried: a start retried after a timeout re-sends what the first activation sent.
    if (r.status !== 201) return void failedCalls.push(`start ${s.id}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    if (s.then === 'cancel') {
      const c = await d.api.cancel(s.id, 'load test');
      if (c.status !== 200) failedCalls.push(`cancel ${s.id}: ${c.status} ${JSON.stringify(c.body).slice(0, 300)}`);
    } else if (s.then) {
      const g = await d.api.signal(s.id, s.then.signal, s.then.payload);
      if (g.status !== 200) failedCalls.push(`signal ${s.id}: ${g.status} ${JSON.stringify(g.body).slice(0, 300)}`);
    }
  });
  const started = (performance.now() - t0) / 1000;
  const ids = specs.map((s) => s.id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await statuses(d, ids);
    const open = ids.filter((id) => !isFinal((st.get(id) ?? 'running') as Instance['status']));
    if (open.length === 0) break;
    if (Date.now() > deadline) {
      failedCalls.push(`${open.length} instances unfinished after ${timeoutMs / 1000} s (e.g. ${open.slice(0, 5).join(', ')})`);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const wall = (performance.now() - t0) / 1000;
  const loaded = await pool(ids, PARALLEL, (id) => d.store.load(id));
  const wrong = [
    ...failedCalls,
    ...specs.flatMap((s, k) => {
      const i = loaded[k];
      const p = i ? s.check(i) : 'never created';
      return p ? [`${s.id}: ${p}`] : [];
    }),
  ];
  const finals = loaded.filter((i): i is Instance => i !== undefined);
  const latency = latencies(finals);
  // An instance keeps its last 200 steps: a fan-in's awaits are its items (one task result each).
  const awaits = finals.reduce((n, i) => n + (i.workflow.startsWith('fanin') && isFinal(i.status) ? (i.input.items as unknown[]).length : awaitsOf(i.steps)), 0);
  if (finals.some((i) => i.steps.length >= 200)) notes.push('an instance keeps its last 200 steps: a large fan-in\'s latency samples are its last 200 task awaits');
  // Let the last deletes and the stale wake-ups settle before looking into the DLQs.
  await new Promise((r) => setTimeout(r, 3000));
  const dlq = await dlqMessages(d);
  const ex = executions(d.countFile, new Set(ids));
  // The step function's own numbers for these instances' task results.
  const idSet = new Set(ids);
  let logged = 0;
  let update = 0;
  let wcu = 0;
  let get = 0;
  let otherUpdate = 0;
  let otherWcu = 0;
  const log = readFileSync(d.emu.logFile, 'utf8').slice(logOffset);
  for (const m of log.matchAll(/CURRANT_METRICS (\{.*\})\s*$/gm)) {
    const r = JSON.parse(m[1]!) as { outcome: string; instanceId?: string; event?: string; calls: Record<string, number>; writeUnits?: number };
    if (!r.instanceId || !idSet.has(r.instanceId)) continue;
    const isResult = /#\d+$/.test(r.event ?? '');
    if (isResult) {
      logged++;
      update += r.calls.UpdateItem ?? 0;
      get += r.calls.GetItem ?? 0;
      wcu += r.writeUnits ?? 0;
    } else {
      otherUpdate += r.calls.UpdateItem ?? 0;
      otherWcu += r.writeUnits ?? 0;
    }
  }
  return {
    phase: name,
    where: 'emulator',
    instances: specs.length,
    wallSeconds: wall,
    awaits,
    awaitsPerSecond: awaits / wall,
    latencyMs: { samples: latency.length, p50: quantile(latency, 0.5), p99: quantile(latency, 0.99), max: Math.max(...latency) },
    wrong,
    attemptsRunTwice: ex.twice,
    executions: ex.total,
    retries: { byDesign: ex.byDesign, other: ex.other },
    dlqMessages: dlq,
    startLatencyMs: { p50: quantile(startMs, 0.5), p99: quantile(startMs, 0.99) },
    dynamo: {
      results: awaits,
      resultRecordsLogged: logged,
      // Everything the step function wrote for these instances (results, wake-ups) per result record.
      updateItemPerResult: (update + otherUpdate) / Math.max(1, logged),
      writeUnitsPerResult: (wcu + otherWcu) / Math.max(1, logged),
      getItemPerResult: get / Math.max(1, logged),
    },
    notes: [...notes, `all started in ${started.toFixed(1)} s (${parallel} API requests in flight)`, `load average ${loadavg()[0]!.toFixed(1)}`],
  };
}

// ---------------------------------------------------------------------------------------------

function render(reports: PhaseReport[]): string {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const out: string[] = ['# currant under load', '', `machine: ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (1/5/15 min) at the end`, ''];
  out.push('| phase | where | instances | wall s | awaits | awaits/s | task-await p50 ms | p99 ms | wrong end | attempts run twice | other retries | DLQ msgs | UpdateItem / result | write units / result |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of reports) {
    out.push(
      `| ${r.phase} | ${r.where} | ${r.instances} | ${f(r.wallSeconds)} | ${r.awaits} | ${f(r.awaitsPerSecond)} | ${f(r.latencyMs.p50, 0)} | ${f(r.latencyMs.p99, 0)} | ${r.wrong.length} | ${r.attemptsRunTwice} | ${r.retries.other} | ${r.dlqMessages ?? '—'} | ${r.dynamo ? f(r.dynamo.updateItemPerResult, 3) : '—'} | ${r.dynamo ? f(r.dynamo.writeUnitsPerResult, 2) : '—'} |`,
    );
  }
  out.push('');
  for (const r of reports) {
    out.push(`- ${r.phase} (${r.where}): ${r.executions} task executions, ${r.retries.byDesign} retries by design; ${r.notes.join('; ')}` + (r.startLatencyMs ? `; start call p50 ${f(r.startLatencyMs.p50, 0)} ms, p99 ${f(r.startLatencyMs.p99, 0)} ms` : '') + (r.dynamo ? `; ${r.dynamo.resultRecordsLogged} result records logged, GetItem per result ${f(r.dynamo.getItemPerResult, 3)}` : ''));
    for (const w of r.wrong.slice(0, 10)) out.push(`  - WRONG ${w.split('\n').slice(0, 6).join('\n    ')}`);
  }
  return out.join('\n');
}

/** Runs a phase; an exception becomes a report whose `wrong` says what happened (the other phases still run). */
async function phase(name: string, where: PhaseReport['where'], run: () => Promise<PhaseReport>): Promise<PhaseReport> {
  try {
    return await run();
  } catch (e) {
    const nan = { samples: 0, p50: NaN, p99: NaN, max: NaN };
    return { phase: name, where, instances: 0, wallSeconds: NaN, awaits: 0, awaitsPerSecond: NaN, latencyMs: nan, wrong: [`phase failed: ${String((e as Error)?.stack ?? e)}`], attemptsRunTwice: 0, executions: 0, retries: { byDesign: 0, other: 0 }, notes: [] };
  }
}

async function main(): Promise<void> {
  const dir = join(INFRA_DIR, `load-${process.pid}`);
  const { tasksModule, workflows } = await prepare(dir);
  const reports: PhaseReport[] = [];
  try {
    if (ONLY.has('embedded')) {
      process.stderr.write(`[load] embedded: mix of ${INSTANCES}\n`);
      reports.push(await phase(`mix of ${INSTANCES}`, 'embedded', () => embeddedPhase(dir, tasksModule, workflows)));
    }
    if (ONLY.has('fanin') || ONLY.has('fanin50') || ONLY.has('mix')) {
      const d = await deploy(dir);
      try {
        if (ONLY.has('fanin')) {
          process.stderr.write(`[load] emulator: one fan-in of ${FANIN}\n`);
          reports.push(await phase(`fan-in of ${FANIN}`, 'emulator', () => emulatorPhase(d, `fan-in of ${FANIN}`, [faninSpec('fanin-big', FANIN)], 600_000, FANIN_PARALLEL)));
        }
        if (ONLY.has('fanin50')) {
          process.stderr.write(`[load] emulator: ${FANINS} fan-ins of ${FANIN_ITEMS} at once\n`);
          const name = `${FANINS} fan-ins of ${FANIN_ITEMS}`;
          reports.push(await phase(name, 'emulator', () => emulatorPhase(d, name, range(FANINS).map((k) => faninSpec(`fanin-${k}`, FANIN_ITEMS)), 1_200_000, FANIN_PARALLEL)));
        }
        if (ONLY.has('mix')) {
          process.stderr.write(`[load] emulator: mix of ${INSTANCES} through the API\n`);
          reports.push(await phase(`mix of ${INSTANCES}`, 'emulator', () => emulatorPhase(d, `mix of ${INSTANCES}`, mix(INSTANCES, 'a-'), 1_800_000)));
        }
      } finally {
        d.ddb.destroy();
        d.sqs.destroy();
        await d.emu.stop();
      }
    }
  } finally {
    mkdirSync(INFRA_DIR, { recursive: true });
    writeFileSync(join(INFRA_DIR, 'load-result.json'), JSON.stringify(reports, null, 2));
  }
  console.log(JSON_OUT ? JSON.stringify(reports, null, 2) : render(reports));
  rmSync(dir, { recursive: true, force: true });
  if (reports.some((r) => r.wrong.length > 0 || r.attemptsRunTwice > 0 || (r.dlqMessages ?? 0) > 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
