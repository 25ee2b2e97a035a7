/**
 * `currant graph <file> [--format mermaid|dot]`: print the workflow's step graph as text.
 *
 * The file is checked like `currant check`: its diagnostics go to stderr, and any error makes the
 * exit code 1 (cli/README.md). A file that parses still gets its graph on stdout even with check
 * errors (a graph is useful while the file is being written); one that does not parse gets none.
 *
 *   $ currant graph examples/order/order.workflow --format dot | dot -Tsvg > order.svg
 */
import { compile, parse, renderDiagnostic, toDot, toGraph, toMermaid } from '../../dsl/index.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import { output, readText } from '../io.ts';

export function graphCommand(file: string, opts: { format: 'mermaid' | 'dot' }): ExitCode {
  const source = readText(file, 'workflow file');
  const { program, diagnostics: syntax } = parse(source, file);
  const diagnostics = program ? compile(source, file).diagnostics : syntax;
  const err = output(process.stderr);
  const paint = { error: err.c.red, warning: err.c.yellow, dim: err.c.dim };
  for (const d of diagnostics) err.line(renderDiagnostic(d, source, file, paint) + '\n');
  if (program) {
    const graph = toGraph(program);
    process.stdout.write(opts.format === 'dot' ? toDot(graph) : toMermaid(graph));
  }
  return diagnostics.some((d) => d.severity === 'error') ? EXIT.FAILED : EXIT.OK;
}
