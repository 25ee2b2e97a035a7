/**
 * The workflow graph as SVG: dsl/graph.ts's nodes and edges laid out and drawn by Graphviz
 * (Viz.js, WebAssembly, bundled), coloured by `marks` — the path taken, where the instance is now
 * (with a note), where it failed. Node ids become SVG ids (`node-n26`) and classes
 * (`node visited current`), so tests and styles can find them.
 *
 * Why a Graph object rather than DOT text: labels come from the workflow's text and go to Graphviz
 * as attribute values, never parsed as DOT, so no label can change the graph's structure; the SVG
 * element is built by Viz.js from Graphviz's output (text escaped), never from HTML strings.
 */
import { instance as vizInstance, type Graph as VizGraph, type Viz } from '@viz-js/viz';

type Attrs = Record<string, string | number>;
import { useEffect, useRef, useState } from 'preact/hooks';
import type { GraphJson } from '../types.ts';
import type { Marks } from './marks.ts';

let viz: Promise<Viz> | undefined;

const SHAPES: Record<string, string> = {
  start: 'oval',
  end: 'oval',
  task: 'box',
  parallel: 'box3d',
  fanout: 'box3d',
  sleep: 'octagon',
  signal: 'cds',
  branch: 'diamond',
  loop: 'hexagon',
  return: 'box',
  try: 'folder',
  catch: 'folder',
  finally: 'folder',
  throw: 'box',
  race: 'doubleoctagon',
  wait: 'cylinder',
  handle: 'parallelogram',
};

function vizGraph(g: GraphJson, marks: Marks): VizGraph {
  return {
    directed: true,
    graphAttributes: { rankdir: 'TB', bgcolor: 'transparent', nodesep: 0.3, ranksep: 0.35, pad: 0.1 },
    nodeAttributes: { fontname: 'Helvetica', fontsize: 11, style: 'filled', fillcolor: '#ffffff', color: '#9aa0a6', fontcolor: '#1f2328', margin: '0.12,0.05', height: 0.3 },
    edgeAttributes: { fontname: 'Helvetica', fontsize: 9, color: '#c4c8cc', fontcolor: '#57606a', arrowsize: 0.7 },
    nodes: g.nodes.map((n) => {
      const failed = marks.failed.has(n.id);
      const note = marks.current.get(n.id);
      const visited = marks.visited.has(n.id);
      const cls = ['visited', 'current', 'failed'].filter((c) => (c === 'visited' ? visited : c === 'current' ? note !== undefined : failed));
      const colours: Attrs = failed
        ? { fillcolor: '#fde7e9', color: '#c62828', penwidth: 2 }
        : note !== undefined
          ? { fillcolor: '#fff4ce', color: '#b45309', penwidth: 2.5 }
          : visited
            ? { fillcolor: '#e6f4ea', color: '#2e7d32', penwidth: 1.5 }
            : {};
      return {
        name: n.id,
        attributes: {
          label: note !== undefined ? `${n.label}\n${note}` : n.label,
          shape: SHAPES[n.kind] ?? 'box',
          id: `node-${n.id}`,
          class: ['node-' + n.kind, ...cls].join(' '),
          tooltip: `line ${n.line}`,
          ...(n.kind === 'task' || n.kind === 'return' ? { style: 'filled,rounded' } : {}),
          ...colours,
        } satisfies Attrs as Attrs,
      };
    }),
    edges: g.edges.map((e) => {
      const taken = marks.visited.has(e.from) && marks.visited.has(e.to);
      return {
        tail: e.from,
        head: e.to,
        attributes: { ...(e.label ? { label: e.label } : {}), ...(taken ? { color: '#2e7d32', penwidth: 1.8, class: 'taken' } : {}) },
      };
    }),
  };
}

export function GraphView({ graph, marks }: { graph: GraphJson; marks: Marks }) {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  // re-draw only when what is drawn changes (the poll hands over new objects every second)
  const key = JSON.stringify([graph, [...marks.visited].sort(), [...marks.current].sort(), [...marks.failed].sort()]);
  useEffect(() => {
    let live = true;
    (viz ??= vizInstance())
      .then((v) => {
        if (!live || !host.current) return;
        host.current.replaceChildren(v.renderSVGElement(vizGraph(graph, marks)));
        setError(undefined);
      })
      .catch((e: unknown) => live && setError(`cannot draw the graph: ${String(e)}`));
    return () => {
      live = false;
    };
  }, [key]);
  return (
    <div class="graph">
      <div ref={host} class="graph-svg" data-testid="graph" />
      {error && <p class="error">{error}</p>}
      <p class="legend">
        <span class="swatch visited" /> path taken <span class="swatch current" /> now <span class="swatch failed" /> failed
      </p>
    </div>
  );
}
