/**
 * The language server (lsp/server.ts) through the Language Server Protocol: a client speaking
 * JSON-RPC with Content-Length framing (vscode-languageserver-protocol) initialises it, opens and
 * edits documents, waits for publishDiagnostics, asks for hover, definition, completion and
 * symbols, and shuts it down. The server runs in this process over in-memory pipes (so `exit`
 * reports its code instead of ending the test process); stdio.test.ts runs it as a process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompletionItemKind, DiagnosticSeverity, SymbolKind, TextDocumentSyncKind } from 'vscode-languageserver-protocol';
import { MAX_SOURCE_LENGTH } from '../../dsl/index.ts';
import { inProcessServer, positionOf, type LspClient } from './client.ts';

const URI = 'file:///work/order.workflow';

const ORDER = `type Payment = { success: boolean, paymentId?: string, error?: string }
task chargeCard(orderId: string, amount: number): Payment
task shipOrder(orderId: string): { success: boolean, trackingId?: string }

workflow processOrder(orderId: string, amount: number): string {
  const payment = await chargeCrad(orderId, amount)
  if (!payment.success) return \`payment failed: \${payment.error}\`
  const shipment = await shipOrder(orderId)
  return shipment.trackingId ?? "none"
}
`;
const FIXED = ORDER.replace('chargeCrad', 'chargeCard');

let server: ReturnType<typeof inProcessServer>;
let client: LspClient;

beforeEach(async () => {
  server = inProcessServer();
  client = server.client;
  await client.initialize({ debounceMs: 30 });
});

afterEach(() => server.dispose());

/** A range as `line:col-line:col` (1-based, as diagnostics print). */
const where = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
  `${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1}`;

describe('initialize', () => {
  it('announces incremental sync, hover, definition, completion on "." and symbols', async () => {
    const s = inProcessServer();
    const r = await s.client.initialize();
    expect(r.capabilities).toMatchObject({
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      documentSymbolProvider: true,
      completionProvider: { triggerCharacters: ['.'] },
    });
    expect(r.serverInfo?.name).toBe('currant');
    await s.dispose();
  });
});

describe('diagnostics as you type', () => {
  it('publishes the checker diagnostics when a document opens, with code, range, severity and hint', async () => {
    client.open(URI, ORDER);
    const p = await client.diagnostics(URI);
    expect(p.version).toBe(1);
    expect(p.diagnostics).toHaveLength(1);
    const [d] = p.diagnostics;
    expect(d).toMatchObject({ code: 'CT005', source: 'currant', severity: DiagnosticSeverity.Error });
    expect(d!.message).toBe("unknown task 'chargeCrad' (did you mean 'chargeCard'?)");
    expect(where(d!.range)).toBe('6:25-6:35');
  });

  it('publishes once per version: opening a document is one check', async () => {
    client.open(URI, ORDER);
    await client.diagnostics(URI);
    await client.hover(URI, { line: 0, character: 0 }); // a round trip: the server has handled the open
    await new Promise((r) => setTimeout(r, 200)); // well past the debounce of 30 ms
    expect(client.allPublished).toEqual([]);
  });

  it('re-checks after an incremental change: the fix clears the diagnostic', async () => {
    client.open(URI, ORDER);
    await client.diagnostics(URI);
    const at = positionOf(ORDER, 'chargeCrad', 7);
    client.change(URI, 2, [{ range: { start: at, end: { line: at.line, character: at.character + 3 } }, text: 'ard' }]);
    const p = await client.diagnostics(URI, 2);
    expect(p.version).toBe(2);
    expect(p.diagnostics).toEqual([]);
  });

  it('reports syntax errors (with the hint line) while the text does not parse, then recovers', async () => {
    client.open(URI, FIXED);
    expect((await client.diagnostics(URI)).diagnostics).toEqual([]);
    const broken = FIXED.replace('  const shipment', '  const x = = 1\n  const shipment');
    client.change(URI, 2, [{ text: broken }]);
    const p = await client.diagnostics(URI, 2);
    expect(p.diagnostics.map((d) => `${d.code} ${where(d.range)}`)).toEqual(['CS001 8:13-8:14']);
    client.change(URI, 3, [{ text: FIXED.replace('return shipment', 'return shipmen') }]);
    const q = await client.diagnostics(URI, 3);
    expect(q.diagnostics.map((d) => d.code)).toEqual(['CT001']);
    expect(q.diagnostics[0]!.message).toContain("did you mean 'shipment'?");
  });

  it('marks warnings as warnings', async () => {
    client.open(URI, 'workflow w(): number {\n  return 1\n  const x = 2\n}\n');
    const [d] = (await client.diagnostics(URI)).diagnostics;
    expect(d).toMatchObject({ code: 'CT010', severity: DiagnosticSeverity.Warning });
  });

  it('debounces: a burst of changes is checked once, for the last version', async () => {
    const s = inProcessServer();
    await s.client.initialize({ debounceMs: 300 });
    s.client.open(URI, FIXED);
    await s.client.diagnostics(URI, 1);
    for (let v = 2; v <= 6; v++) s.client.change(URI, v, [{ text: FIXED.replace('"none"', `"none${v}`) }]);
    const p = await s.client.diagnostics(URI, 2);
    expect(p.version).toBe(6);
    expect(s.client.allPublished).toEqual([]);
    await s.dispose();
  });

  it('clears the diagnostics of a closed document', async () => {
    client.open(URI, ORDER);
    await client.diagnostics(URI);
    client.close(URI);
    expect((await client.diagnostics(URI)).diagnostics).toEqual([]);
  });
});

describe('hover', () => {
  it('shows the type of a variable, narrowed, and of a property', async () => {
    client.open(URI, FIXED);
    await client.diagnostics(URI);
    const h = await client.hover(URI, positionOf(FIXED, 'payment.success', 2));
    expect(h?.contents).toEqual({ kind: 'markdown', value: '```currant\nconst payment: Payment\n```' });
    expect(where(h!.range!)).toBe('7:8-7:15');
    const p = await client.hover(URI, positionOf(FIXED, 'trackingId ??', 3));
    expect((p?.contents as { value: string }).value).toContain('(property) trackingId: string | null');
  });

  it('shows a task declaration on its call', async () => {
    client.open(URI, FIXED);
    const h = await client.hover(URI, positionOf(FIXED, 'shipOrder(orderId)', 1));
    expect((h?.contents as { value: string }).value).toBe(
      '```currant\ntask shipOrder(orderId: string): { success: boolean, trackingId?: string }\n```\n\nA task: runs outside the workflow (Node or Python); call it with await.',
    );
  });

  it('still answers while a line does not parse, at the same positions', async () => {
    const broken = FIXED.replace('  const shipment', '  const x = = 1\n  const shipment');
    client.open(URI, broken);
    const h = await client.hover(URI, positionOf(broken, 'shipment.trackingId', 1));
    expect((h?.contents as { value: string }).value).toContain('const shipment: { success: boolean, trackingId?: string }');
  });

  it('answers null on nothing, an unknown document or a position past the end', async () => {
    client.open(URI, FIXED);
    expect(await client.hover(URI, positionOf(FIXED, '\n\nworkflow'))).toBeNull();
    expect(await client.hover('file:///nowhere.workflow', { line: 0, character: 0 })).toBeNull();
    expect(await client.hover(URI, { line: 999, character: 999 })).toBeNull();
  });
});

describe('definition', () => {
  it('goes from a task call to the task declaration, from a variable to its declaration', async () => {
    client.open(URI, FIXED);
    const d = await client.definition(URI, positionOf(FIXED, 'shipOrder(orderId)', 2));
    expect(d).toEqual({ uri: URI, range: { start: { line: 2, character: 5 }, end: { line: 2, character: 14 } } });
    const v = await client.definition(URI, positionOf(FIXED, 'payment.error', 1));
    expect(where(v!.range)).toBe('6:9-6:16');
    const t = await client.definition(URI, positionOf(FIXED, 'Payment\n', 1));
    expect(where(t!.range)).toBe('1:6-1:13');
  });

  it('answers null for built-ins and keywords', async () => {
    client.open(URI, FIXED);
    expect(await client.definition(URI, positionOf(FIXED, 'await', 1))).toBeNull();
  });
});

describe('completion', () => {
  it('after a dot: the fields of the type, with their types, though the line does not parse', async () => {
    const text = FIXED.replace('  const shipment', '  const s = payment.\n  const shipment');
    client.open(URI, text);
    const items = await client.completion(URI, positionOf(text, 'payment.\n', 8));
    expect(items.map((i) => `${i.label}: ${i.detail}`)).toEqual(['error: string (optional)', 'paymentId: string (optional)', 'success: boolean']);
    expect(items[0]!.kind).toBe(CompletionItemKind.Field);
  });

  it('as you type: a change then a completion at once, before any diagnostics', async () => {
    client.open(URI, FIXED);
    await client.diagnostics(URI);
    const text = FIXED.replace('  return shipment', '  shipment.\n  return shipment');
    client.change(URI, 2, [{ text }]);
    const items = await client.completion(URI, positionOf(text, 'shipment.\n', 9));
    expect(items.map((i) => i.label)).toEqual(['success', 'trackingId']);
  });

  it('at a statement: variables first, then tasks, built-ins and keywords', async () => {
    const text = FIXED.replace('  return shipment', '  sh\n  return shipment');
    client.open(URI, text);
    const items = await client.completion(URI, positionOf(text, '  sh\n', 4));
    const byLabel = new Map(items.map((i) => [i.label, i]));
    expect(byLabel.get('shipment')).toMatchObject({ kind: CompletionItemKind.Variable, detail: '{ success: boolean, trackingId?: string }' });
    expect(byLabel.get('shipOrder')).toMatchObject({ kind: CompletionItemKind.Function, detail: 'task shipOrder(orderId: string): { success: boolean, trackingId?: string }' });
    expect(byLabel.get('sleep')?.kind).toBe(CompletionItemKind.Function);
    expect(byLabel.get('Math')?.kind).toBe(CompletionItemKind.Module);
    expect(byLabel.get('await')?.kind).toBe(CompletionItemKind.Keyword);
    const sorted = [...items].sort((a, b) => (a.sortText! < b.sortText! ? -1 : 1)).map((i) => i.label);
    expect(sorted.indexOf('shipment')).toBeLessThan(sorted.indexOf('shipOrder'));
    expect(sorted.indexOf('shipOrder')).toBeLessThan(sorted.indexOf('sleep'));
    expect(sorted.indexOf('sleep')).toBeLessThan(sorted.indexOf('await'));
  });

  it('falls back to the last version that parsed when the text is beyond repair', async () => {
    client.open(URI, FIXED);
    await client.diagnostics(URI);
    const hopeless = FIXED.replace('  return shipment', '  ) ( ) (\n  ] [ ]\n  } }\n  ( (\n  [ [\n  const s = payment.\n  return shipment');
    client.change(URI, 2, [{ text: hopeless }]);
    const items = await client.completion(URI, positionOf(hopeless, 'payment.\n', 8));
    expect(items.map((i) => i.label)).toEqual(['error', 'paymentId', 'success']);
  });
});

describe('document symbols', () => {
  it('outlines the type aliases, tasks and the workflow', async () => {
    client.open(URI, FIXED);
    const symbols = await client.symbols(URI);
    expect(symbols!.map((s) => `${s.kind} ${s.name} ${s.detail} ${where(s.selectionRange)}`)).toEqual([
      `${SymbolKind.Interface} Payment type 1:6-1:13`,
      `${SymbolKind.Function} chargeCard task 2:6-2:16`,
      `${SymbolKind.Function} shipOrder task 3:6-3:15`,
      `${SymbolKind.Class} processOrder workflow 5:10-5:22`,
    ]);
  });
});

describe('hostile input', () => {
  it('a huge document gets CS005 at once, and the server keeps answering', async () => {
    const huge = `workflow w() {\n${'  const a = 1 + 2\n'.repeat(200_000)}}`;
    expect(huge.length).toBeGreaterThan(50 * MAX_SOURCE_LENGTH);
    client.open('file:///huge.workflow', huge);
    const p = await client.diagnostics('file:///huge.workflow');
    expect(p.diagnostics.map((d) => `${d.code} ${where(d.range)}`)).toEqual(['CS005 1:1-1:2']);
    expect(await client.hover('file:///huge.workflow', { line: 5, character: 9 })).toBeNull();
    expect((await client.completion('file:///huge.workflow', { line: 5, character: 3 })).length).toBeGreaterThan(0);
    client.open(URI, FIXED);
    expect((await client.diagnostics(URI)).diagnostics).toEqual([]);
  });

  it('deep nesting gets CS006, not a crash', async () => {
    const deep = `workflow w() { return ${'['.repeat(20_000)}${']'.repeat(20_000)} }`;
    client.open('file:///deep.workflow', deep);
    expect((await client.diagnostics('file:///deep.workflow')).diagnostics.map((d) => d.code)).toEqual(['CS006']);
    const blocks = `workflow w() {\n${'if (true) {\n'.repeat(300)}${'}\n'.repeat(300)}}`;
    client.open('file:///blocks.workflow', blocks);
    const p = await client.diagnostics('file:///blocks.workflow');
    expect(p.diagnostics.every((d) => d.code === 'CS006' || String(d.code).startsWith('CT'))).toBe(true);
    expect(await client.hover('file:///blocks.workflow', { line: 200, character: 5 })).toBeNull();
    expect(Array.isArray(await client.completion('file:///blocks.workflow', { line: 200, character: 0 }))).toBe(true);
  });

  it('garbage, binary and odd positions get answers, never a dead server', async () => {
    const garbage = '\u0000\u0001\uffff}{)(`${/*"\'\\\n'.repeat(50);
    client.open('file:///garbage.workflow', garbage);
    expect((await client.diagnostics('file:///garbage.workflow')).diagnostics.length).toBeGreaterThan(0);
    for (const position of [{ line: 0, character: 0 }, { line: 10, character: 3 }, { line: 10_000, character: 0 }, { line: 0, character: 1_000_000 }]) {
      await client.hover('file:///garbage.workflow', position);
      await client.definition('file:///garbage.workflow', position);
      await client.completion('file:///garbage.workflow', position);
    }
    client.open(URI, ORDER);
    expect((await client.diagnostics(URI)).diagnostics.map((d) => d.code)).toEqual(['CT005']);
  });

  it('ignores hostile initialization options', async () => {
    const s = inProcessServer();
    await s.client.initialize({ debounceMs: -5e9 });
    s.client.open(URI, ORDER);
    expect((await s.client.diagnostics(URI)).diagnostics).toHaveLength(1);
    await s.dispose();
  });
});

describe('shutdown and exit', () => {
  it('exits with 0 after shutdown, 1 without', async () => {
    await client.shutdown();
    client.exit();
    expect(await server.exited).toBe(0);
    const s = inProcessServer();
    await s.client.initialize();
    s.client.exit();
    expect(await s.exited).toBe(1);
    await s.dispose();
  });
});

describe('child workflows: the folder is the deployment', () => {
  it('checks a child start against the .workflow files beside the document (CT070, CT071)', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    const dir = mkdtempSync(join(tmpdir(), 'currant-lsp-'));
    try {
      writeFileSync(join(dir, 'charge.workflow'), 'workflow charge(orderId: string, amount: number): string { return orderId }\n');
      const uri = pathToFileURL(join(dir, 'order.workflow')).href;
      client.open(uri, 'workflow order(orderId: string) {\n  await workflows.chrage({ orderId })\n  return await workflows.charge({ orderId, amount: "5" })\n}\n');
      const p = await client.diagnostics(uri);
      expect(p.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
        "CT070 unknown workflow 'chrage' (did you mean 'charge'?): it is not part of the deployment",
        `CT071 parameter 'amount' of workflow 'charge' is number, got "5"`,
      ]);
      // completion after `workflows.` offers the folder's workflows with the input they take
      const items = await client.completion(uri, { line: 2, character: '  return await workflows.'.length });
      expect(items.find((i) => i.label === 'charge')).toMatchObject({ detail: '({ orderId: string, amount: number }) => string' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
