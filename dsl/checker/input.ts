/**
 * Validates a run's input against the workflow's parameter types, before anything runs.
 *
 * Takes a `Program` and the input (anything, typically parsed JSON); gives `{ ok: true }` or every
 * problem with a JSON path:
 *
 *   checkInput(program, { orderId: 'o1', amount: '5', extra: 1 })
 *   // => { ok: false, errors: [
 *   //      { path: '$.amount', message: 'expected number, got string' },
 *   //      { path: '$.extra', message: "unknown parameter 'extra' (the workflow takes orderId, amount)" } ] }
 *
 * Decisions: stricter than the checker about null, because this is data from outside: a parameter
 * may be left out or null only when its type accepts null (unannotated, `any`, `T | null`), and then
 * reads as null; an optional field may be absent or null. Keys the workflow does not take are errors at the top level
 * (a typo there would otherwise silently become null); nested objects are structural like the
 * checker, so extra fields inside them are fine.
 */
import type { Program, Span, TypeNode } from '../ast.ts';
import { TypeEnv, type Type } from './types.ts';

export interface InputError {
  path: string;
  message: string;
}

const envs = new WeakMap<Program, TypeEnv>();

/** The program's aliases, once per program (the checker reports bad annotations; here they read as any). */
function envOf(program: Program): TypeEnv {
  let env = envs.get(program);
  if (!env) {
    const aliases = new Map<string, { type: TypeNode; span: Span }>();
    for (const t of program.types) if (!aliases.has(t.name)) aliases.set(t.name, { type: t.type, span: t.span });
    env = new TypeEnv(aliases, () => {});
    envs.set(program, env);
  }
  return env;
}

/**
 * Does a value from outside fit a type written in the program (a typed signal's payload, `signal<T>`)?
 * The same rules and paths as `checkInput` (`$.by: expected string, got number`); null fits only a
 * type that accepts null.
 *
 *   checkValue(program, decisionTypeNode, { approved: 'yes' })
 *   // => { ok: false, errors: [{ path: '$.approved', message: 'expected boolean, got string' }] }
 */
export function checkValue(program: Program, type: TypeNode, value: unknown): { ok: true } | { ok: false; errors: InputError[] } {
  const env = envOf(program);
  const errors: InputError[] = [];
  validate(env, value === undefined ? null : value, env.fromNode(type), '$', errors, 0);
  return errors.length ? { ok: false, errors } : { ok: true };
}

export function checkInput(program: Program, input: unknown): { ok: true } | { ok: false; errors: InputError[] } {
  const env = envOf(program);
  const errors: InputError[] = [];
  const params = program.workflow.params;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    errors.push({ path: '$', message: `the input must be an object keyed by parameter name, got ${kindOf(input)}` });
    return { ok: false, errors };
  }
  const obj = input as Record<string, unknown>;
  for (const p of params) {
    const t: Type = p.type ? env.fromNode(p.type) : { kind: 'any' };
    const path = `$${key(p.name)}`;
    if (!Object.hasOwn(obj, p.name) || obj[p.name] === undefined || (p.optional && obj[p.name] === null)) {
      if (!p.optional && !env.members(t).some((m) => m.kind === 'any' || m.kind === 'null')) {
        errors.push({ path, message: `missing parameter '${p.name}' (${env.show(t)})` });
      }
      continue;
    }
    validate(env, obj[p.name], t, path, errors, 0);
  }
  const names = new Set(params.map((p) => p.name));
  for (const k of Object.keys(obj)) {
    if (!names.has(k)) {
      const list = params.length ? `the workflow takes ${params.map((p) => p.name).join(', ')}` : 'the workflow takes no parameters';
      errors.push({ path: `$${key(k)}`, message: `unknown parameter '${k}' (${list})` });
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true };
}

/** `.name` for identifier-like keys, `["a-b"]` otherwise. */
function key(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

/** Does `v` fit `t`? Pushes what does not fit (the deepest useful path) and gives the verdict. */
function validate(env: TypeEnv, v: unknown, t: Type, path: string, errors: InputError[], depth: number): boolean {
  const r = env.resolve(t);
  if (depth > 64) return true;
  switch (r.kind) {
    case 'any':
      return isJson(v, path, errors, 0);
    case 'string':
    case 'number':
    case 'boolean': {
      const ok = typeof v === r.kind && (r.kind !== 'number' || Number.isFinite(v));
      if (!ok) errors.push({ path, message: `expected ${env.show(t)}, got ${kindOf(v)}` });
      return ok;
    }
    case 'null':
      if (v !== null) errors.push({ path, message: `expected null, got ${kindOf(v)}` });
      return v === null;
    case 'void':
      if (v !== null) errors.push({ path, message: `expected nothing (void), got ${kindOf(v)}` });
      return v === null;
    case 'literal':
      if (v !== r.value) errors.push({ path, message: `expected ${JSON.stringify(r.value)}, got ${JSON.stringify(v)}` });
      return v === r.value;
    case 'array':
    case 'tuple': {
      if (!Array.isArray(v)) {
        errors.push({ path, message: `expected ${env.show(t)}, got ${kindOf(v)}` });
        return false;
      }
      let ok = true;
      v.forEach((x, i) => {
        const et = r.kind === 'array' ? r.element : (r.elements[i] ?? { kind: 'null' as const });
        ok = validate(env, x, et, `${path}[${i}]`, errors, depth + 1) && ok;
      });
      return ok;
    }
    case 'object': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        errors.push({ path, message: `expected ${env.show(t)}, got ${kindOf(v)}` });
        return false;
      }
      const o = v as Record<string, unknown>;
      let ok = true;
      for (const [k, f] of Object.entries(r.fields)) {
        const p = `${path}${key(k)}`;
        // an optional field may be absent or null (JSON senders write both)
        if (!Object.hasOwn(o, k) || o[k] === undefined || (f.optional && o[k] === null)) {
          if (!f.optional) {
            errors.push({ path: p, message: `missing field '${k}' (${env.show(f.type)})` });
            ok = false;
          }
          continue;
        }
        ok = validate(env, o[k], f.type, p, errors, depth + 1) && ok;
      }
      for (const [k, x] of Object.entries(o)) {
        if (Object.hasOwn(r.fields, k)) continue;
        // other keys: of the index type where there is one (`Record<string, V>`), any JSON otherwise
        ok = (r.index ? validate(env, x, r.index, `${path}${key(k)}`, errors, depth + 1) : isJson(x, `${path}${key(k)}`, errors, 0)) && ok;
      }
      return ok;
    }
    case 'union': {
      // Quietly try each member; report once for the whole union when none fits.
      for (const m of r.types) if (validate(env, v, m, path, [], depth + 1)) return true;
      // One object member that the value nearly fits: its detailed errors are more useful.
      const objects = r.types.map((m) => env.resolve(m)).filter((m) => m.kind === 'object');
      if (objects.length === 1 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        return validate(env, v, objects[0]!, path, errors, depth + 1);
      }
      errors.push({ path, message: `expected ${env.show(t)}, got ${kindOf(v)}` });
      return false;
    }
    case 'promise':
      // a handle only means something inside its instance: none comes from outside (CT031 says so)
      errors.push({ path, message: `expected ${env.show(t)} (a handle), which no value from outside can be` });
      return false;
    case 'ref':
      return true; // resolve() never leaves a ref
    default:
      return true;
  }
}

/** Plain JSON only: no undefined, functions, NaN or Infinity (workflow values are JSON). */
function isJson(v: unknown, path: string, errors: InputError[], depth: number): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return true;
    errors.push({ path, message: `expected a finite number, got ${String(v)}` });
    return false;
  }
  if (depth > 256) return true;
  if (Array.isArray(v)) return v.map((x, i) => isJson(x, `${path}[${i}]`, errors, depth + 1)).every(Boolean);
  if (typeof v === 'object') {
    return Object.entries(v as object).map(([k, x]) => isJson(x, `${path}${key(k)}`, errors, depth + 1)).every(Boolean);
  }
  errors.push({ path, message: `expected a JSON value, got ${typeof v}` });
  return false;
}
