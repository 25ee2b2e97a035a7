/**
 * `toMermaid` output parsed by Mermaid 11's own flowchart parser (the `mermaid` package: its jison
 * grammar and FlowDB), and every node and edge label read back the way Mermaid renders it: same
 * text as our graph, a plain string label (not a Markdown one, which is what a backtick-quoted
 * label becomes).
 *
 * Why `mermaid` with jsdom: Mermaid's flowchart parser is only published inside `mermaid`
 * (`@mermaid-js/parser` has the Langium grammars — info, pie, gitGraph, … — not flowchart), and
 * `mermaid.parse` sanitises labels with DOMPurify, which needs a window. A jsdom window is set up
 * before Mermaid is imported; nothing is rendered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGraph, toMermaid, type Graph } from '../../dsl/graph.ts';
import { parse } from '../../dsl/parser.ts';

const ROOT = join(import.meta.dirname, '../..');

interface MermaidApi {
  parse(text: string): Promise<unknown>;
  mermaidAPI: { getDiagramFromText(text: string): Promise<{ type: string; db: FlowDb }> };
}
interface FlowDb {
  getVertices(): Map<string, { id: string; text: string; labelType: string }>;
  getEdges(): { start: string; end: string; text: string; labelType: string }[];
}

let mermaid: MermaidApi;
let dom: JSDOM;
const globals = ['window', 'document'] as const;

beforeAll(async () => {
  dom = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  mermaid = (await import('mermaid')).default as unknown as MermaidApi;
});
afterAll(() => {
  for (const g of globals) delete (globalThis as Record<string, unknown>)[g];
  dom.window.close();
});

/**
 * What a reader sees for a label Mermaid parsed: its entity placeholders turned back into HTML
 * entities (Mermaid's `decodeEntities`, applied to the SVG it renders), then those entities read
 * as HTML, as the browser does.
 */
function shown(text: string): string {
  const html = text.replace(/ﬂ°°/g, '&#').replace(/ﬂ°/g, '&').replace(/¶ß/g, ';');
  const el = dom.window.document.createElement('textarea');
  el.innerHTML = html;
  return el.value;
}

function graphOf(source: string): Graph {
  const { program, diagnostics } = parse(source, 'test.workflow');
  if (!program) throw new Error(JSON.stringify(diagnostics));
  return toGraph(program);
}

/** Parses `toMermaid(graph)` with Mermaid and checks every label survives as our text. */
async function roundTrip(graph: Graph): Promise<void> {
  const text = toMermaid(graph);
  await expect(mermaid.parse(text)).resolves.toBeTruthy();
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  expect(diagram.type).toBe('flowchart-v2');
  const vertices = [...diagram.db.getVertices().values()];
  expect(vertices).toHaveLength(graph.nodes.length);
  const ours = new Map(graph.nodes.map((n) => [n.id.replace(/[^A-Za-z0-9_]/g, '_').replace(/^end$/, 'end_'), n.label]));
  for (const v of vertices) {
    expect(v.labelType, `${v.id}: ${v.text}`).toBe('string');
    expect(shown(v.text), v.id).toBe(ours.get(v.id));
  }
  const edges = diagram.db.getEdges();
  expect(edges).toHaveLength(graph.edges.length);
  expect(edges.map((e) => shown(e.text)).sort()).toEqual(graph.edges.map((e) => e.label ?? '').sort());
}

describe('Mermaid 11 parses toMermaid output and shows every label as written', () => {
  it('labels with quotes, backticks, #, <, >, &, | and template strings', async () => {
    const g = graphOf(`task say(s: string): string
task ping(): boolean
workflow tricky(name: string): string {
  const a = await say("she said \\"hi\\" & left")
  if (name == "<b>bold</b>" || name == "#1 | #quot;") {
    await say(\`\${name} in \\\`backticks\\\`\`)
  }
  if (\`\${name}\` == \`x\`) {
    await say("a label that starts and ends with a backtick: Mermaid would read it as Markdown")
  }
  const ok = await signal("it's \\"done\\" #35;")
  const two = await signal("two\\nlines")
  while (!(await ping())) {
    await sleep("1s")
  }
  return \`\\\`\${a}\\\` => "\${name}" & <done> #tag\`
}`);
    // The raw labels really are the hard cases.
    const labels = g.nodes.map((n) => n.label).join('\n');
    for (const hard of ['"', '`', '#', '<', '>', '&', '|']) expect(labels).toContain(hard);
    expect(g.nodes.some((n) => n.label.startsWith('`') && n.label.endsWith('`'))).toBe(true);
    await roundTrip(g);
  });

  it.each(readdirSync(join(ROOT, 'examples')).filter((d) => !d.includes('.')))('examples/%s', async (name) => {
    const source = readFileSync(join(ROOT, 'examples', name, `${name}.workflow`), 'utf8');
    await roundTrip(graphOf(source));
  });
});
