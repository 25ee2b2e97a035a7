/**
 * The checker: everything that can be found wrong in a parsed workflow before it runs.
 *
 * Takes a `Program` (dsl/ast.ts), gives every diagnostic in one pass, sorted by position (`check`);
 * the same plus the type of every expression and declared name (`analyze`, for editors: hover); and
 * validates a run's input against the workflow's parameters (`checkInput`).
 *
 *   check(parse(src, 'order.workflow').program!)
 *   // => [{ code: 'CT005', message: "unknown task 'chargeCrad' (did you mean 'chargeCard'?)", … }]
 *   analyze(program).typeOf(node.id)   // => '{ success: boolean, paymentId?: string }'
 *   checkInput(program, { orderId: 'o1', amount: '5' })
 *   // => { ok: false, errors: [{ path: '$.amount', message: 'expected number, got string' }] }
 *
 * What it checks (codes in dsl/diagnostics.ts): names and scopes (CT001–CT004), calls (CT005,
 * CT006, CT013), gradual types (CT007, CT008, CT018, CT022), awaits (CT009, CT015, CT020),
 * handles and time (CT030–CT036), control flow (CT010–CT012, CT016), assignments (CT017),
 * declarations and policies (CT014, CT019), helpers and callbacks (CT050–CT056).
 *
 * Why gradual and lenient: a checker that cries wolf gets ignored. Anything involving `any` is
 * accepted, `null` fits every type (see types.ts), and unions are read generously (a property that
 * exists on some member of a union is fine). What is reported is certainly wrong at run time or
 * certainly not what the declared types say. Types narrow as in TypeScript (narrowing.ts).
 *
 * The pass is split by concern, one file each (see README.md); this file builds its context and
 * wires the parts together.
 */
import type { ArrowFunction, Call, Expression, Program } from '../ast.ts';
import type { Deployment } from './children.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { Ctx } from './context.ts';
import { checkProgram, createContext } from './declarations.ts';
import { call, expr } from './expressions.ts';
import { checkArrow } from './functions.ts';
import { BUILTINS } from './builtins.ts';
import { TypeEnv, union, type Type } from './types.ts';

export { checkInput, checkValue } from './input.ts';
export { deploymentOf, signatureOf, signatureText, WORKFLOWS, type Deployment, type WorkflowSignature } from './children.ts';

/** All diagnostics of a program, sorted by position. Never throws on a well-formed AST. */
export function check(program: Program, options: CheckOptions = {}): Diagnostic[] {
  return run(program, undefined, options);
}

/** What the checker may know beyond the program itself. */
export interface CheckOptions {
  /**
   * The deployment: the workflows child starts may name, with their parameters (children.ts
   * `deploymentOf`). Absent: `workflows.<name>(…)` is not checked against it (CT070, CT071).
   */
  workflows?: Deployment;
}

/** What `analyze` gives: the diagnostics, and the types the checker found, by node id. */
export interface Analysis {
  diagnostics: Diagnostic[];
  /**
   * The type of an expression node or a declared name (an `IdentifierPattern`) as text, e.g.
   * `number[]`, `"approved" | "rejected"`, `{ success: boolean, error?: string }`; narrowed where
   * the node stands (`r.reason` inside `if (r.status === "rejected")`). Undefined for other nodes
   * and code the checker did not reach.
   */
  typeOf(nodeId: number): string | undefined;
  /**
   * What may follow `.` after that node, for completion: the fields of its object types, the
   * methods (and `length`) of strings and arrays, sorted; undefined when the type is unknown (any).
   */
  propertiesOf(nodeId: number): string[] | undefined;
  /**
   * The fields of that node's object types with their types as text (a field on several members of
   * a union gets the union of their types; `optional` when it may be missing on any), sorted by name;
   * undefined when the type is unknown (any). For completion details next to `propertiesOf`.
   */
  fieldsOf(nodeId: number): { name: string; type: string; optional: boolean }[] | undefined;
}

/** `check`, keeping the type of every expression and declared name (for hover in an editor). */
export function analyze(program: Program, options: CheckOptions = {}): Analysis {
  const types = new Map<number, Type>();
  const diagnostics = run(program, types, options);
  let cached: TypeEnv | undefined;
  const env = () => (cached ??= new TypeEnv(new Map(program.types.map((a) => [a.name, { type: a.type, span: a.span }])), () => {}));
  return {
    diagnostics,
    typeOf(id) {
      const t = types.get(id);
      return t ? env().show(t) : undefined;
    },
    propertiesOf(id) {
      const t = types.get(id);
      if (!t || env().isAny(t)) return undefined;
      const names = new Set<string>();
      for (const m of env().members(t)) {
        if (m.kind === 'object') Object.keys(m.fields).forEach((k) => names.add(k));
        else if (m.kind === 'string' || (m.kind === 'literal' && typeof m.value === 'string')) [...Object.keys(BUILTINS.string), 'length'].forEach((k) => names.add(k));
        else if (m.kind === 'array' || m.kind === 'tuple') [...Object.keys(BUILTINS.array), 'length'].forEach((k) => names.add(k));
      }
      return [...names].sort();
    },
    fieldsOf(id) {
      const t = types.get(id);
      if (!t || env().isAny(t)) return undefined;
      const objects = env().members(t).filter((m) => m.kind === 'object');
      const names = [...new Set(objects.flatMap((m) => Object.keys(m.fields)))].sort();
      return names.map((name) => {
        const found = objects.map((m) => m.fields[name]);
        const fieldTypes = found.flatMap((f) => (f ? [f.type] : []));
        return { name, type: env().show(union(fieldTypes)), optional: found.some((f) => !f || f.optional) };
      });
    },
  };
}

function run(program: Program, types: Map<number, Type> | undefined, options: CheckOptions): Diagnostic[] {
  const hooks = { expr: (e: Expression) => expr(ctx, e), call: (c: Call) => call(ctx, c), arrow: (f: ArrowFunction, ps: Type[]) => checkArrow(ctx, f, ps), types };
  const ctx: Ctx = createContext(program, options.workflows ? { ...hooks, deployment: options.workflows } : hooks);
  const diags = checkProgram(ctx);
  return diags.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
}
