/**
 * `currant graph <file> [--format mermaid|dot]`: print the workflow's step graph as text.
 *
 * Only parses (a graph of a file with type errors is still useful while writing it); syntax errors
 * are printed on stderr with exit 1.
 *
 *   $ currant graph examples/order/order.workflow --format dot | dot -Tsvg > order.svg
 */
import { parse, renderDiagnostic, toDot, toGraph, toMermaid } from '../../dsl/index.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import { output, readText } from '../io.ts';

export function graphCommand(file: string, opts: { format: 'mermaid' | 'dot' }): ExitCode {
  const source = readText(file, 'workflow file');
  const { program, diagnostics } = parse(source, file);
  if (!program) {
    const err = output(process.stderr);
    const paint = { error: err.c.red, warning: err.c.yellow, dim: err.c.dim };
    for (const d of diagnostics) err.line(renderDiagnostic(d, source, file, paint) + '\n');
    return EXIT.FAILED;
  }
  const graph = toGraph(program);
  process.stdout.write(opts.format === 'dot' ? toDot(graph) : toMermaid(graph));
  return EXIT.OK;
}
