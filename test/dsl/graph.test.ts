/**
 * The workflow graph: structure for real programs (the examples and small inline ones), and
 * well-formed Mermaid / DOT text.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toDot, toGraph, toMermaid, type Graph, type GraphNode } from '../../dsl/graph.ts';
import { compile } from '../../dsl/index.ts';
import { parse } from '../../dsl/parser.ts';

function graphOf(source: string, file = 'test.workflow'): Graph {
  const { program, diagnostics } = parse(source, file);
  if (!program) throw new Error(`parse failed: ${JSON.stringify(diagnostics)}`);
  return toGraph(program);
}

function example(name: string): Graph {
  const file = new URL(`../../examples/${name}/${name}.workflow`, import.meta.url);
  return graphOf(readFileSync(file, 'utf8'), `${name}.workflow`);
}

function node(g: Graph, kind: GraphNode['kind'], label: string): GraphNode {
  const found = g.nodes.filter((n) => n.kind === kind && n.label === label);
  if (found.length !== 1) throw new Error(`expected one ${kind} '${label}', got ${found.length}: ${JSON.stringify(g.nodes)}`);
  return found[0]!;
}

/** Targets of edges out of `from`, as `label->targetLabel` strings (sorted). */
function out(g: Graph, from: GraphNode): string[] {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  return g.edges
    .filter((e) => e.from === from.id)
    .map((e) => `${e.label ?? ''}->${byId.get(e.to)!.label}`)
    .sort();
}

function incoming(g: Graph, to: GraphNode): string[] {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  return g.edges
    .filter((e) => e.to === to.id)
    .map((e) => `${byId.get(e.from)!.label}->${e.label ?? ''}`)
    .sort();
}

describe('toGraph on the examples', () => {
  it('order: branches with yes/no edges, the refund path and every return reaching the end', () => {
    const g = example('order');
    const start = node(g, 'start', 'processOrder(orderId, amount)');
    const charge = node(g, 'task', 'chargeCard');
    const paid = node(g, 'branch', '!payment.success');
    const ship = node(g, 'task', 'shipOrder');
    const shipped = node(g, 'branch', '!shipment.success');
    const refund = node(g, 'task', 'refundOrder');
    const end = node(g, 'end', 'end');
    expect(out(g, start)).toEqual(['->chargeCard']);
    expect(out(g, charge)).toEqual(['->!payment.success']);
    expect(out(g, paid)).toEqual(['no->shipOrder', 'yes->return `payment failed: ${payment.error}`']);
    expect(out(g, ship)).toEqual(['->!shipment.success']);
    expect(out(g, shipped)).toEqual(['no->return shipment.trackingId', 'yes->refundOrder']);
    expect(out(g, refund)).toEqual(['->return "refunded"']);
    expect(g.nodes.filter((n) => n.kind === 'return')).toHaveLength(3);
    expect(incoming(g, end)).toEqual([
      'return "refunded"->',
      'return `payment failed: ${payment.error}`->',
      'return shipment.trackingId->',
    ]);
    expect(charge.line).toBe(10);
    expect(paid.line).toBe(11);
  });

  it('polling: a loop with a back edge from the sleep, a break exit and no "done" exit for while (true)', () => {
    const g = example('polling');
    const loop = node(g, 'loop', 'while (true)');
    const check = node(g, 'task', 'checkJob');
    const done = node(g, 'branch', 'status.done');
    const sleep = node(g, 'sleep', 'sleep 1s');
    const fetch = node(g, 'task', 'fetchResult');
    expect(incoming(g, loop)).toEqual(['sleep 1s->next', 'startJob->']);
    expect(out(g, loop)).toEqual(['loop->checkJob']);
    expect(out(g, check)).toEqual(['->status.done']);
    expect(out(g, done)).toEqual(['no->sleep 1s', 'yes->fetchResult']);
    expect(out(g, sleep)).toEqual(['next->while (true)']);
    expect(out(g, fetch)).toEqual(['->return { jobId, checks, result }']);
  });

  it('fanout: a fan-out node with its concurrency and one node for the mapped task', () => {
    const g = example('fanout');
    const fan = node(g, 'fanout', 'each of items (concurrency 3)');
    expect(out(g, fan)).toEqual(['each item->processItem']);
    const item = node(g, 'task', 'processItem');
    // The compute-only for-of loop after the fan-out is folded into the edge.
    expect(out(g, item)).toEqual(['->return { count: results.length, totalSize, peakInFlight }']);
    expect(g.nodes.some((n) => n.kind === 'loop')).toBe(false);
  });

  it('approval: a signal with a timeout has a received and a timed-out edge', () => {
    const g = example('approval');
    const sig = node(g, 'signal', 'signal approval (timeout 5s)');
    expect(out(g, sig)).toEqual(['received->answer.timedOut', 'timed out->answer.timedOut']);
    expect(g.nodes.filter((n) => n.kind === 'task').map((n) => n.label)).toEqual([
      'requestApproval',
      'notifyRequester',
      'notifyRequester',
      'notifyRequester',
    ]);
  });

  it('flaky: start, one task, a return and the end', () => {
    const g = example('flaky');
    expect(g.nodes.map((n) => n.kind)).toEqual(['start', 'task', 'return', 'end']);
    expect(g.edges).toHaveLength(3);
  });
});

describe('toGraph on small programs', () => {
  it('try/catch/finally: an error edge to the catch, throws inside going there, both joining the finally', () => {
    const g = graphOf(`
task a(): number
task undo(): void
task close(): void
workflow w(n: number): number {
  try {
    if (n > 1) throw "big"
    await a()
  } catch (e) {
    await undo()
    throw e
  } finally {
    await close()
  }
  return 1
}`);
    const t = node(g, 'try', 'try');
    const c = node(g, 'catch', 'catch (e)');
    const f = node(g, 'finally', 'finally');
    expect(out(g, t)).toContain('error->catch (e)');
    expect(out(g, node(g, 'throw', 'throw "big"'))).toEqual(['throw->catch (e)']);
    expect(out(g, c)).toEqual(['->undo']);
    // the rethrow in the catch has no catch around it: it fails the workflow
    expect(out(g, node(g, 'throw', 'throw e'))).toEqual(['fails->end']);
    expect(incoming(g, f)).toEqual(['a->']);
    expect(out(g, f)).toEqual(['->close']);
    for (const text of [toMermaid(g), toDot(g)]) expect(text).toContain('catch (e)');
  });

  it('Promise.all of a fixed list: a parallel node, one node per task, all joining the next step', () => {
    const g = graphOf(`
task a(x: number): number
task b(x: number): number
task c(x: number): number
workflow w(x: number) {
  const [p, q] = await Promise.all([a(x), b(x)])
  await c(p + q)
}`);
    const par = node(g, 'parallel', 'Promise.all');
    expect(out(g, par)).toEqual(['->a', '->b']);
    expect(incoming(g, node(g, 'task', 'c'))).toEqual(['a->', 'b->']);
    expect(incoming(g, node(g, 'end', 'end'))).toEqual(['c->']);
  });

  it('a timer racing a task: a race node, one node per contender, each going on as "first"', () => {
    const g = graphOf(`
task quote(sku: string): number
task use(n: number): void
workflow w(sku: string) {
  const price = await Promise.race([quote(sku), sleep("10s")])
  await use(price)
}`);
    const race = node(g, 'race', 'Promise.race');
    expect(out(g, race)).toEqual(['->quote', '->sleep 10s']);
    expect(incoming(g, node(g, 'task', 'use'))).toEqual(['quote->first', 'sleep 10s->first']);
    expect(toMermaid(g)).toContain('((("Promise.race")))');
    expect(toDot(g)).toContain('shape=octagon');
  });

  it('handles: started without await on the way, awaited later from a variable, raced with a deadline', () => {
    const g = graphOf(`
task ask(who: string): boolean
workflow w(people: string[]) {
  const votes = people.map(ask)
  const deadline = sleep("2d")
  const stop = signal(["stop", "halt"])
  const first = await Promise.any([...votes, deadline])
  await stop
  await sleepUntil("2026-03-01T09:00:00Z")
}`);
    const asks = node(g, 'handle', 'start ask for each of people');
    const dl = node(g, 'handle', 'start sleep 2d');
    const st = node(g, 'handle', 'start signal stop | halt');
    expect(out(g, asks)).toEqual(['->start sleep 2d']);
    expect(out(g, dl)).toEqual(['->start signal stop | halt']);
    const any = node(g, 'race', 'Promise.any');
    expect(out(g, st)).toEqual(['->Promise.any']);
    expect(out(g, any)).toEqual(['->deadline', '->each of votes']);
    const wait = node(g, 'wait', 'await stop');
    expect(incoming(g, wait)).toEqual(['deadline->first ok', 'each of votes->first ok']);
    expect(out(g, wait)).toEqual(['->sleep until 2026-03-01T09:00:00Z']);
    expect(toDot(g)).toContain('style=dashed');
  });

  it('Promise.all of handles: a parallel node with a node per handle', () => {
    const g = graphOf(`
task a(): number
workflow w() {
  const h = a()
  const [x, y] = await Promise.all([h, a()])
  return x + y
}`);
    const par = node(g, 'parallel', 'Promise.all');
    expect(out(g, par)).toEqual(['->a', '->h']);
  });

  it('allSettled fan-out and the default concurrency', () => {
    const g = graphOf(`
task t(x: string): string
workflow w(xs: string[]) {
  const rs = await Promise.allSettled(xs.map(t))
  return rs
}`);
    node(g, 'fanout', 'each of xs (concurrency 10, settled)');
  });

  it('if/else chains, for loops with continue, sleep in milliseconds and a signal without timeout', () => {
    const g = graphOf(`
task a(): number
task b(): number
workflow w(n: number) {
  for (let i = 0; i < n; i++) {
    if (i % 2 == 0) {
      continue
    } else if (i > 5) {
      await a()
    } else {
      await sleep(250)
    }
  }
  const s = await signal("go")
  await b()
}`);
    const loop = node(g, 'loop', 'for (let i = 0; i < n; i++)');
    const even = node(g, 'branch', 'i % 2 == 0');
    const big = node(g, 'branch', 'i > 5');
    expect(out(g, loop)).toEqual(['done->signal go', 'loop->i % 2 == 0']);
    expect(out(g, even)).toEqual(['no->i > 5', 'yes->for (let i = 0; i < n; i++)']);
    expect(out(g, big)).toEqual(['no->sleep 250ms', 'yes->a']);
    expect(out(g, node(g, 'task', 'a'))).toEqual(['next->for (let i = 0; i < n; i++)']);
    expect(out(g, node(g, 'signal', 'signal go'))).toEqual(['->b']);
  });

  it('switch: a branch with one edge per case, fall-through into the next case, break and no-match exits', () => {
    const g = graphOf(`task a(): void
task b(): void
task c(): void
task d(): void
workflow w(k: number) {
  switch (k) {
    case 1:
      await a()
    case 2:
      await b()
      break
    case 3:
      await c()
  }
  await d()
}`);
    const sw = node(g, 'branch', 'switch (k)');
    expect(out(g, sw)).toEqual(['case 1->a', 'case 2->b', 'case 3->c', 'no match->d']);
    expect(out(g, node(g, 'task', 'a'))).toEqual(['->b']); // falls through
    expect(out(g, node(g, 'task', 'b'))).toEqual(['break->d']);
    expect(out(g, node(g, 'task', 'c'))).toEqual(['->d']);
  });

  it('labeled loops: break and continue to the outer label leave or restart the outer loop', () => {
    const g = graphOf(`task t(x: number): boolean
task done(): void
workflow w(xs: number[][]) {
  outer: for (const row of xs) {
    for (const x of row) {
      const ok = await t(x)
      if (ok) continue outer
      if (x > 9) break outer
    }
  }
  await done()
}`);
    const branches = g.nodes.filter((n) => n.kind === 'branch');
    expect(branches.map((n) => n.label)).toEqual(['ok', 'x > 9']);
    // the jumps keep the branch's yes/no label: continue outer goes back to the outer loop (not the
    // inner one), break outer straight on to what follows the outer loop
    expect(out(g, branches[0]!)).toEqual(['no->x > 9', 'yes->for (const row of xs)']);
    expect(out(g, branches[1]!)).toEqual(['no->for (const x of row)', 'yes->done']);
  });

  it('ifs and loops without awaits or jumps are folded away', () => {
    const g = graphOf(`
task a(x: number): number
workflow w(n: number) {
  let total = 0
  for (let i = 0; i < n; i++) { if (i > 2) { total += i } }
  while (total > 10) { total -= 3 }
  await a(total)
}`);
    expect(g.nodes.map((n) => n.kind)).toEqual(['start', 'task', 'end']);
  });

  it('return await gives the task node then the return node', () => {
    const g = graphOf(`
task a(): number
workflow w() { return await a() }`);
    expect(g.nodes.map((n) => `${n.kind}:${n.label}`)).toEqual(['start:w()', 'task:a', 'return:return', 'end:end']);
  });

  it('is a pure function of the text: same ids twice', () => {
    const src = readFileSync(new URL('../../examples/order/order.workflow', import.meta.url), 'utf8');
    expect(graphOf(src)).toEqual(graphOf(src));
    const ids = graphOf(src).nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

// ---- text renderings -----------------------------------------------------------------------------

const ALL = ['order', 'approval', 'fanout', 'flaky', 'polling'];

describe('toMermaid', () => {
  it.each(ALL)('%s: a flowchart TD declaring every node once and linking only declared ids', (name) => {
    const g = example(name);
    const text = toMermaid(g);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart TD');
    const declared = new Set<string>();
    const edges: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const edge = /^ {2}(\w+) -->(?:\|"[^"]*"\|)? (\w+)$/.exec(line);
      if (edge) {
        edges.push([edge[1]!, edge[2]!]);
        continue;
      }
      // A node: id, then one of the shapes we use, with a quoted label free of raw quotes.
      const decl = /^ {2}(\w+)(\(\["[^"]*"\]\)|\["[^"]*"\]|\[\["[^"]*"\]\]|\[\/"[^"]*"\/\]|>"[^"]*"\]|\{"[^"]*"\}|\{\{"[^"]*"\}\}|\("[^"]*"\))$/.exec(line);
      expect(decl, `bad line: ${line}`).not.toBeNull();
      expect(declared.has(decl![1]!)).toBe(false);
      declared.add(decl![1]!);
    }
    expect(declared.size).toBe(g.nodes.length);
    expect(edges).toHaveLength(g.edges.length);
    for (const [a, b] of edges) expect(declared.has(a) && declared.has(b)).toBe(true);
    // `end` is a Mermaid keyword and cannot be a node id.
    expect(declared.has('end')).toBe(false);
  });

  it('escapes quotes, # and angle brackets in labels', () => {
    const g: Graph = {
      name: 'w',
      nodes: [
        { id: 'start', kind: 'start', label: 'w()', line: 1 },
        { id: 'n1', kind: 'branch', label: 'x.name == "a#1" && n < 3', line: 2 },
        { id: 'end', kind: 'end', label: 'end', line: 3 },
      ],
      edges: [
        { from: 'start', to: 'n1' },
        { from: 'n1', to: 'end', label: 'say "hi"' },
      ],
    };
    expect(toMermaid(g)).toBe(
      [
        'flowchart TD',
        '  start(["w()"])',
        '  n1{"x.name == #quot;a#35;1#quot; && n #lt; 3"}',
        '  end_(["end"])',
        '  start --> n1',
        '  n1 -->|"say #quot;hi#quot;"| end_',
        '',
      ].join('\n'),
    );
  });
});

/** A small tokenizer for the subset of DOT we emit: checks quoting and gives statements. */
function dotStatements(text: string): string[][] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          s += text[j + 1];
          j += 2;
        } else s += text[j++];
      }
      if (j >= text.length) throw new Error('unterminated string');
      tokens.push(`"${s}`);
      i = j + 1;
    } else if (text.startsWith('->', i)) {
      tokens.push('->');
      i += 2;
    } else if ('{}[];,='.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      const m = /^[A-Za-z0-9_.]+/.exec(text.slice(i));
      if (!m) throw new Error(`unexpected ${c}`);
      tokens.push(m[0]);
      i += m[0].length;
    }
  }
  const stmts: string[][] = [];
  let cur: string[] = [];
  for (const t of tokens) {
    if (t === ';') {
      stmts.push(cur);
      cur = [];
    } else cur.push(t);
  }
  stmts.push(cur);
  return stmts;
}

describe('toDot', () => {
  it.each(ALL)('%s: a digraph whose statements are well formed and whose edges use declared nodes', (name) => {
    const g = example(name);
    const stmts = dotStatements(toDot(g));
    expect(stmts[0]!.slice(0, 3)).toEqual(['digraph', `"${g.name}`, '{']);
    expect(stmts[stmts.length - 1]).toEqual(['}']);
    const declared = new Set<string>();
    let edgeCount = 0;
    for (const s of stmts.slice(1, -1)) {
      if (s[1] === '->') {
        edgeCount++;
        expect(declared.has(s[0]!) && declared.has(s[2]!)).toBe(true);
      } else if (s[0]!.startsWith('"')) {
        expect(s[1]).toBe('[');
        expect(s[s.length - 1]).toBe(']');
        declared.add(s[0]!);
      }
    }
    expect(declared.size).toBe(g.nodes.length);
    expect(edgeCount).toBe(g.edges.length);
  });

  it('escapes quotes and backslashes in labels', () => {
    const g: Graph = {
      name: 'w',
      nodes: [{ id: 'n1', kind: 'task', label: 'say "hi" \\ bye', line: 1 }],
      edges: [{ from: 'n1', to: 'n1', label: 'a"b' }],
    };
    const text = toDot(g);
    expect(text).toContain('"n1" [label="say \\"hi\\" \\\\ bye", shape=box, style=rounded];');
    expect(text).toContain('"n1" -> "n1" [label="a\\"b"];');
    expect(dotStatements(text)[2]![4]).toBe('"say "hi" \\ bye');
  });
});

// ---- invariants over every program of the language corpus ------------------------------------------

describe('toGraph invariants on the language corpus', async () => {
  const { loadCases } = await import('./corpus/run.ts');
  const programs = loadCases(new URL('./corpus', import.meta.url).pathname)
    // Programs that pass the checker (diagnostic cases may put awaits where no await may stand).
    .map((c) => ({ name: `${c.file}: ${c.name}`, program: compile(c.source, 'case.workflow').program }))
    .filter((c) => c.program !== undefined);

  it('covers a good part of the corpus', () => {
    expect(programs.length).toBeGreaterThan(100);
  });

  it('every graph: one start, one end, unique ids, edges between known nodes, returns lead to the end', () => {
    for (const { name, program } of programs) {
      const g = toGraph(program!);
      const ids = new Set(g.nodes.map((n) => n.id));
      expect(ids.size, name).toBe(g.nodes.length);
      expect(g.nodes.filter((n) => n.kind === 'start').map((n) => n.id), name).toEqual(['start']);
      expect(g.nodes.filter((n) => n.kind === 'end').map((n) => n.id), name).toEqual(['end']);
      for (const e of g.edges) expect(ids.has(e.from) && ids.has(e.to), `${name}: ${e.from} -> ${e.to}`).toBe(true);
      expect(g.edges.some((e) => e.from === 'end'), name).toBe(false);
      for (const r of g.nodes.filter((n) => n.kind === 'return')) {
        expect(g.edges.filter((e) => e.from === r.id).map((e) => e.to), name).toEqual(['end']);
      }
      // Every await of the source is one node (a fan-out adds one for its task; Promise.all its elements).
      const awaits = (program!.source.match(/\bawait\b/g) ?? []).length;
      const awaitNodes = g.nodes.filter((n) => ['task', 'parallel', 'fanout', 'sleep', 'signal', 'race', 'wait'].includes(n.kind) && !n.id.endsWith('_each'));
      expect(awaitNodes.length, name).toBeGreaterThanOrEqual(awaits);
      // Both renderings accept it.
      expect(toMermaid(g).startsWith('flowchart TD\n'), name).toBe(true);
      expect(dotStatements(toDot(g)).at(-1), name).toEqual(['}']);
    }
  });
});
