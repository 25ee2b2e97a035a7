/**
 * The deployed workflows, by name: what `POST /workflows/{name}/instances` can start.
 *
 * Takes the environment (`CURRANT_WORKFLOWS_JSON`, else `CURRANT_WORKFLOWS_DIR`, see README.md);
 * gives a map workflow name → `{ file, source }`, checked once per cold start:
 *
 *   const wfs = loadWorkflows(process.env);      // Map { 'processOrder' => { file: 'order.workflow', source } }
 *
 * A deployed definition that does not compile is a deployment fault (the CDK construct checks them
 * at synth), so it throws `DefinitionError` here and every start fails with 500 until fixed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { compile } from '../dsl/index.ts';
import { DefinitionError } from '../runtime/index.ts';

export interface WorkflowSource {
  file: string;
  source: string;
}

/** Compiles each source and indexes it by its workflow's name. Pure. */
export function indexWorkflows(entries: WorkflowSource[]): Map<string, WorkflowSource> {
  const out = new Map<string, WorkflowSource>();
  for (const e of entries) {
    const { program, diagnostics } = compile(e.source, e.file);
    if (!program) throw new DefinitionError(diagnostics, e.source, e.file);
    const name = program.workflow.name;
    const clash = out.get(name);
    if (clash) throw new Error(`workflow '${name}' is defined twice: ${clash.file} and ${e.file}`);
    out.set(name, e);
  }
  return out;
}

/** Reads the deployed sources from the environment (JSON first, then the folder). */
export function readWorkflowSources(env: Record<string, string | undefined>): WorkflowSource[] {
  const json = env.CURRANT_WORKFLOWS_JSON;
  if (json) {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed) || !parsed.every((e) => typeof e?.file === 'string' && typeof e?.source === 'string')) {
      throw new Error('CURRANT_WORKFLOWS_JSON must be a JSON array of { "file": string, "source": string }');
    }
    return parsed as WorkflowSource[];
  }
  const dir = env.CURRANT_WORKFLOWS_DIR;
  if (!dir) throw new Error('neither CURRANT_WORKFLOWS_JSON nor CURRANT_WORKFLOWS_DIR is set');
  const root = isAbsolute(dir) ? dir : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), dir);
  return readdirSync(root)
    .filter((f) => f.endsWith('.workflow'))
    .sort()
    .map((f) => ({ file: f, source: readFileSync(join(root, f), 'utf8') }));
}

let loaded: Map<string, WorkflowSource> | undefined;

/** The process-wide registry, read on first use. */
export function workflows(): Map<string, WorkflowSource> {
  loaded ??= indexWorkflows(readWorkflowSources(process.env));
  return loaded;
}
