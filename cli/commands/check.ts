/**
 * `currant check <file…>`: parse and check workflow files, print every diagnostic.
 *
 * Gives exit 0 when no file has an error (warnings are printed but pass), 1 when one has, 2 when a
 * file cannot be read (the others are still checked).
 *
 *   $ currant check examples/order/order.workflow
 *   examples/order/order.workflow: ok
 */
import { compile, deploymentOf, hasErrors, renderDiagnostic } from '../../dsl/index.ts';
import { workflowFilesBeside } from '../deployment.ts';
import { CliError, EXIT, type ExitCode } from '../exit.ts';
import { output, readText } from '../io.ts';

export function checkCommand(files: string[]): ExitCode {
  const out = output(process.stdout);
  const err = output(process.stderr);
  const { c } = out;
  const paint = { error: (s: string) => c.bold(c.red(s)), warning: (s: string) => c.bold(c.yellow(s)), dim: c.dim };
  let code: ExitCode = EXIT.OK;
  for (const file of files) {
    let source: string;
    try {
      source = readText(file, 'workflow file');
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      err.line(`${err.c.red('error')} ${e.message}`);
      code = EXIT.USAGE;
      continue;
    }
    const { diagnostics } = compile(source, file, { workflows: deploymentOf(workflowFilesBeside(file)) });
    for (const d of diagnostics) out.line(renderDiagnostic(d, source, file, paint) + '\n');
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.length - errors;
    if (hasErrors(diagnostics)) {
      if (code === EXIT.OK) code = EXIT.FAILED;
      out.line(`${file}: ${c.red(plural(errors, 'error'))}${warnings ? `, ${c.yellow(plural(warnings, 'warning'))}` : ''}`);
    } else {
      out.line(`${file}: ${c.green('ok')}${warnings ? ` (${c.yellow(plural(warnings, 'warning'))})` : ''}`);
    }
  }
  return code;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
