/**
 * Compile cost (parse + check) by source size and shape, and whether it grows linearly: each family
 * is compiled at a size and at four times that size, side by side in one run, and the ratio of the
 * two times is the figure (≈ 4 for linear; the target is ≤ 6). Also the heap the compile of the
 * larger one used.
 *
 *   const rows = benchCompile();            // [{ family, bytes, ms, msPerKb, ratio, heapMb }, …]
 *   const rows = benchCompile({ scale: 0.1, repeats: 1 });   // small and quick (tests)
 */
import { compile, MAX_SOURCE_LENGTH } from '../dsl/index.ts';

/** Sources of about `bytes` characters, one family each. */
export const FAMILIES: Record<string, (bytes: number) => string> = {
  // A realistic workflow: awaits, branches, loops, templates, object literals.
  workflow: (bytes) => {
    const head = 'task t(x: any, n: number): any\nworkflow w(x: any, items: any[]): any {\n  let acc: any[] = []\n';
    const stmt = (k: number) =>
      `  const v${k} = await t(x, ${k})\n  if (v${k}.ok && v${k}.n > ${k % 7}) { acc.push({ k: ${k}, label: \`item \${v${k}.n}\` }) } else { for (const i of items) { acc.push(i) } }\n`;
    let src = head;
    for (let k = 0; src.length < bytes - 20; k++) src += stmt(k);
    return src + '  return acc\n}\n';
  },
  'string literal': (bytes) => `workflow w(): string {\n  return "${'x'.repeat(Math.max(0, bytes - 40))}"\n}\n`,
  'call arguments': (bytes) => `workflow w(): any {\n  return [].concat(${Array(Math.floor(bytes / 3)).fill('1').join(', ')})\n}\n`,
  // Rejected constructs left unclosed: the shape that once cost O(n²) (function f() { repeated).
  'unclosed braces': (bytes) => `workflow w(): any {\n${'function f() { '.repeat(Math.floor(bytes / 15))}`,
  'unclosed comment': (bytes) => `workflow w(): any {\n/* ${'x * '.repeat(Math.floor(bytes / 4))}`,
  // Recovery (every syntax error in one pass): the workflow family with every fifth line broken.
  'syntax errors': (bytes) =>
    FAMILIES.workflow!(bytes)
      .split('\n')
      .map((l, i) => (i > 2 && i % 5 === 0 ? l.replace(/=/, '= @') : l))
      .join('\n'),
  // TypeScript syntax: switch, labels, as, **, ??=, destructuring assignment, typed signals.
  typescript: (bytes) => {
    const head = 'type D = { ok: boolean }\ntask t(x: any, n: number): any\nworkflow w(x: any, items: any[]): any {\n  let acc: any = {}\n  let a = 0\n  let b = 0\n';
    const stmt = (k: number) =>
      `  l${k}: for (const i of items as number[]) {\n    switch (i % 3) {\n      case 0: acc.c${k} ??= i ** 2; break\n      case 1: continue l${k}\n      default: [a, b] = [b, a]\n    }\n  }\n  const s${k} = await signal<D>("s${k % 7}")\n  if (s${k}!.ok) acc.v${k} = await t(x, ${k})\n`;
    let src = head;
    for (let k = 0; src.length < bytes - 20; k++) src += stmt(k);
    return src + '  return acc\n}\n';
  },
};

export interface CompileRow {
  family: string;
  bytes: number;
  ms: number;
  msPerKb: number;
  /** Time at 4× the size over the time at this size (linear ≈ 4); only on the larger row. */
  ratio?: number;
  heapMb: number;
}

function timeCompile(src: string, repeats: number): { ms: number; heapMb: number } {
  compile(src); // warm-up: ohm's grammar caches, the JIT
  let best = Infinity;
  let heap = 0;
  for (let i = 0; i < repeats; i++) {
    const before = process.memoryUsage().heapUsed;
    const t = performance.now();
    compile(src);
    best = Math.min(best, performance.now() - t);
    heap = Math.max(heap, process.memoryUsage().heapUsed - before);
  }
  return { ms: best, heapMb: heap / 2 ** 20 };
}

export function benchCompile({ scale = 1, repeats = 3 }: { scale?: number; repeats?: number } = {}): CompileRow[] {
  const rows: CompileRow[] = [];
  for (const [family, make] of Object.entries(FAMILIES)) {
    const small = Math.round(8_000 * scale);
    const sizes = family === 'unclosed braces' ? [small / 2, small * 2] : [small, small * 4];
    let first: number | undefined;
    for (const size of sizes) {
      const src = make(size).slice(0, MAX_SOURCE_LENGTH);
      const { ms, heapMb } = timeCompile(src, repeats);
      const row: CompileRow = { family, bytes: src.length, ms, msPerKb: ms / (src.length / 1024), heapMb };
      if (first !== undefined) row.ratio = ms / Math.max(first, 0.01);
      first ??= ms;
      rows.push(row);
    }
  }
  return rows;
}
