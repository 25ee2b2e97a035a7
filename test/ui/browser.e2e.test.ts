/**
 * The viewer in a real headless browser: Debian's Chromium driven by playwright-core, against
 * `startViewer` over an embedded database that a real `currant worker` process runs. Open the list,
 * filter it, open an instance, see its SVG graph and status, travel to an earlier step, send a
 * signal from the page and watch the instance complete, redrive a failed instance from the page,
 * see why another cannot be redriven, and show hostile ids and log lines as plain text.
 *
 * Screenshots go to a temporary folder, or to $CURRANT_UI_SCREENSHOTS (docs/viewer.md's pictures
 * are made with `CURRANT_UI_SCREENSHOTS=docs/viewer npx vitest run test/ui/browser.test.ts`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../adapters/embedded/index.ts';
import { embeddedBackend } from '../../ui/embedded.ts';
import { startViewer, type Viewer } from '../../ui/server.ts';
import { eventually, spawnCurrant, type Running } from '../cli/helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const FIX = join(import.meta.dirname, 'fixtures');
const read = (f: string) => ({ source: readFileSync(join(FIX, f), 'utf8'), file: f });
const HOSTILE_ID = '<img src=x onerror="window.__xss=1">';
const HOSTILE_NAME = '<script>window.__xss=2</script>';

const tmp = mkdtempSync(join(tmpdir(), 'currant-ui-'));
const shots = process.env.CURRANT_UI_SCREENSHOTS ?? join(tmp, 'shots');
const db = join(tmp, 'viewer.db');
const fixed = join(tmp, 'payments.fixed');
let worker: Running;
let viewer: Viewer;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  mkdirSync(shots, { recursive: true });
  process.env.CURRANT_TEST_FIXED_FILE = fixed; // pay fails until this file exists
  const engine = await createEngine({ dbPath: db, tasksModule: join(FIX, 'tasks.ts') });
  const claim = (employee: string, amount: number) => ({ claim: { employee, amount, reason: 'travel' } });
  await engine.start(read('expense.workflow'), claim('ann', 120), { id: 'expense-ok-1' });
  await engine.start(read('expense.workflow'), claim('dee', 80), { id: 'expense-fail-2' });
  await engine.start(read('broken.workflow'), { key: 'k1' }, { id: 'broken-3' });
  await engine.start(read('expense.workflow'), claim(HOSTILE_NAME, 5), { id: HOSTILE_ID });
  await eventually(async () => ((await engine.get('expense-fail-2')).status === 'waiting' ? true : undefined), 10_000, 'waiting');
  await engine.signal('expense-fail-2', 'approval', { approved: true, by: 'bob' });
  for (const id of ['expense-fail-2', 'broken-3']) expect((await engine.waitFor(id)).status).toBe('failed');
  await engine.close();
  writeFileSync(fixed, 'the payment service is back'); // from now on pay succeeds: redrive will work

  worker = spawnCurrant(['worker', '--tasks', join(FIX, 'tasks.ts'), '--db', db, '--takeover-after', '0'], { env: { CURRANT_TEST_FIXED_FILE: fixed } });
  await eventually(async () => (worker.stdout().includes('worker:') ? true : undefined), 30_000, 'worker started');
  viewer = await startViewer({ backend: embeddedBackend(db), port: 0 });
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await viewer?.close();
  if (worker) {
    worker.child.kill('SIGTERM');
    await worker.done;
  }
  delete process.env.CURRANT_TEST_FIXED_FILE;
  rmSync(tmp, { recursive: true, force: true });
});

const statusBadge = () => page.getByTestId('status');
const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

describe('currant ui in Chromium', { timeout: 120_000 }, () => {
  it('lists instances newest first with counts by status, filters and search', async () => {
    await page.goto(viewer.url);
    const rows = page.locator('table.instances tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    expect(await rows.first().getAttribute('data-id')).toBe(HOSTILE_ID); // newest first
    expect(await page.locator('.counts [data-status=waiting] b').textContent()).toBe('2');
    expect(await page.locator('.counts [data-status=failed] b').textContent()).toBe('2');
    expect(await page.locator('.counts [data-status=all] b').textContent()).toBe('4');
    await shot('list');

    await page.locator('.counts [data-status=failed]').click();
    await expect.poll(async () => (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-id')))).sort()).toEqual(['broken-3', 'expense-fail-2']);
    await page.goto(viewer.url + '#/');
    await page.locator('input[name=q]').fill('expense-');
    await page.locator('form.filters button[type=submit]').click();
    await expect.poll(async () => (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-id')))).sort()).toEqual(['expense-fail-2', 'expense-ok-1']);
  });

  it('opens an instance: its graph as SVG with where it waits, its status, source line and variables', async () => {
    await page.locator('a', { hasText: 'expense-ok-1' }).click();
    await expect.poll(() => statusBadge().textContent()).toBe('waiting');
    const svg = page.locator('[data-testid=graph] svg');
    await svg.waitFor();
    const current = svg.locator('g.node.current');
    expect(await current.count()).toBe(1);
    expect(await current.textContent()).toContain('waiting for "approval"');
    expect(await svg.locator('g.node.visited').count()).toBeGreaterThanOrEqual(3); // start, checkPolicy, the branch
    expect(await page.locator('.source .current-line').getAttribute('data-line')).toBe('14');
    expect(await page.getByTestId('variables').textContent()).toContain('"limit": 1000');
    expect(await page.getByTestId('pending').textContent()).toContain('waiting for signal approval (line 14)');
    await shot('instance');
  });

  it('time travel: a step shows the variables and position saved after it', async () => {
    await page.locator('table.timeline button', { hasText: 'v1' }).click();
    await page.getByTestId('time-travel').waitFor();
    expect(await page.getByTestId('time-travel').textContent()).toContain('version 1');
    // after the start only `claim` exists, and the workflow is at the first await (line 9)
    await expect.poll(() => page.getByTestId('variables').textContent()).not.toContain('limit');
    expect(await page.locator('.source .current-line').getAttribute('data-line')).toBe('9');
    expect(await page.locator('[data-testid=graph] svg g.node.current').textContent()).toContain('checkPolicy');
    await shot('history');
    await page.getByRole('button', { name: 'Back to now' }).click();
    await expect.poll(() => page.locator('.source .current-line').getAttribute('data-line')).toBe('14');
  });

  it('sends a signal from the page and the instance completes (live)', async () => {
    await page.locator('textarea[name=payload]').fill('{not json');
    await page.getByRole('button', { name: 'Send signal' }).click();
    expect(await page.getByTestId('action-message').textContent()).toContain('not valid JSON');
    await page.locator('textarea[name=payload]').fill('{"approved": true, "by": "bob"}');
    await page.getByRole('button', { name: 'Send signal' }).click();
    await expect.poll(() => statusBadge().textContent(), { timeout: 30_000 }).toBe('completed');
    expect(await page.getByTestId('result').textContent()).toContain('paid: rcpt-ann-120 (approved by bob)');
    expect(await page.locator('[data-testid=graph] svg g.node.visited', { hasText: 'pay' }).count()).toBe(1);
    expect(await page.locator('table.timeline').textContent()).toContain('received "approval"');
  });

  it('redrives a failed instance from the page, once for a double click', async () => {
    await page.goto(viewer.url + '#/instances/expense-fail-2');
    await expect.poll(() => statusBadge().textContent()).toBe('failed');
    expect(await page.getByTestId('error').textContent()).toContain('CR007');
    expect(await page.locator('[data-testid=graph] svg g.node.failed').textContent()).toContain('pay');
    await shot('failed');
    await page.getByRole('button', { name: 'Redrive' }).dblclick();
    // a running `currant worker` takes the redriven task over and finishes it
    await expect.poll(() => statusBadge().textContent(), { timeout: 30_000 }).toBe('completed');
    expect(await page.getByTestId('result').textContent()).toContain('paid: rcpt-dee-80 (approved by bob)');
    expect(await page.locator('table.timeline tr.kind-redrive').count()).toBe(1);
  });

  it('says why a runtime error in the workflow text cannot be redriven', async () => {
    await page.goto(viewer.url + '#/instances/broken-3');
    await expect.poll(() => statusBadge().textContent()).toBe('failed');
    expect(await page.getByRole('button', { name: 'Redrive' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('redrive-refusal').textContent()).toMatch(/runtime error in the workflow text.*frozen/);
  });

  it('shows hostile ids, inputs and log lines as text, and runs none of them', async () => {
    await page.goto(viewer.url + '#/');
    await page.locator('table.instances a').first().click();
    await expect.poll(() => page.locator('h1 .id').textContent()).toBe(HOSTILE_ID);
    expect(await page.locator('table.timeline').textContent()).toContain(`claim of 5 by ${HOSTILE_NAME} waits for approval`);
    expect(await page.getByTestId('variables').textContent()).toContain(HOSTILE_NAME);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('img[src=x], main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('links a child workflow and its parent both ways', async () => {
    const engine = await createEngine({ dbPath: db, tasksModule: join(FIX, 'tasks.ts'), workflows: [read('family.workflow'), read('kid.workflow')] });
    try {
      await engine.start(read('family.workflow'), { n: 20 }, { id: 'family-5' });
      expect(await engine.waitFor('family-5')).toMatchObject({ status: 'completed', result: 41 });
    } finally {
      await engine.close();
    }
    await page.goto(viewer.url + '#/instances/family-5');
    const child = page.locator('[data-testid=children] tr');
    await expect.poll(() => child.count()).toBe(1);
    expect(await child.textContent()).toMatch(/^family-5:.*kid.*completed.*line 3/);
    await child.locator('a').click();
    await expect.poll(() => page.locator('h1 .id').textContent()).toMatch(/^family-5:/);
    expect(await page.getByTestId('parent').textContent()).toContain('child workflow of family-5 (awaited)');
    await page.getByTestId('parent').locator('a').click();
    await expect.poll(() => page.locator('h1 .id').textContent()).toBe('family-5');
  });

  it('refuses writes without the page token, from another origin, for another host, or not JSON', async () => {
    const url = `${viewer.url}api/instances/expense-ok-1/cancel`;
    const token = await page.locator('meta[name=currant-token]').getAttribute('content');
    const post = (headers: Record<string, string>, body = '{}') => fetch(url, { method: 'POST', headers, body }).then(async (r) => [r.status, ((await r.json()) as { error: { code: string } }).error.code]);
    expect(await post({ 'content-type': 'application/json' })).toEqual([403, 'FORBIDDEN_TOKEN']);
    expect(await post({ 'content-type': 'application/json', 'x-currant-token': token!, origin: 'http://evil.example' })).toEqual([403, 'FORBIDDEN_ORIGIN']);
    expect(await post({ 'content-type': 'text/plain', 'x-currant-token': token! })).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    // DNS rebinding: a request naming another host (fetch cannot set Host, node:http can)
    const rebinding = await new Promise<number>((resolve, reject) => {
      get({ host: '127.0.0.1', port: viewer.port, path: '/api/capabilities', headers: { host: 'evil.example' } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(rebinding).toBe(403);
    // the instance is untouched (it completed by the signal above; nothing cancelled it)
    expect(await (await fetch(`${viewer.url}api/instances/expense-ok-1`)).json()).toMatchObject({ instance: { status: 'completed' } });
  });
});
