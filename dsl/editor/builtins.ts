/**
 * The built-ins as an editor lists them: global functions, namespaces and their functions, string
 * and array methods, each with its signature, all read from the one built-in table
 * (dsl/interpreter/builtins.ts), so an editor offers exactly what the checker accepts.
 *
 *   builtinGlobals().find((b) => b.name === 'sleep')   // => { name: 'sleep', signature: 'sleep(duration: string | number): null', handle: true }
 *   namespaceMembers('Math')[0]                        // => { name: 'abs', signature: 'abs(x: number): number' }
 */
import { BUILTINS, NAMESPACES, PROPERTIES, type Builtin } from '../interpreter/builtins.ts';

export interface BuiltinEntry {
  name: string;
  signature: string;
  /** Makes a handle (`sleep`, `signal`, `Promise.all`): awaited, or kept and awaited later; never in a helper or callback. */
  handle?: boolean;
  /** A property (`length`), not a method. */
  property?: boolean;
}

function entries(table: Record<string, Builtin>): BuiltinEntry[] {
  return Object.entries(table).map(([name, b]) => (b.handle ? { name, signature: b.signature, handle: true } : { name, signature: b.signature }));
}

/** Plain global functions: `String`, `Number`, `now`, `uuid`, `sleep`, `signal`, … */
export function builtinGlobals(): BuiltinEntry[] {
  return entries(BUILTINS.global);
}

/** The namespaces (`Math`, `JSON`, `Object`, `Array`, `Promise`, `console`). */
export function builtinNamespaces(): string[] {
  return Object.keys(NAMESPACES);
}

export function isBuiltinNamespace(name: string): boolean {
  return Object.hasOwn(NAMESPACES, name);
}

/** The functions of a namespace, or [] for a name that is not one. */
export function namespaceMembers(ns: string): BuiltinEntry[] {
  return isBuiltinNamespace(ns) ? entries(NAMESPACES[ns]!) : [];
}

/** The methods and properties of strings or arrays. */
export function receiverMembers(receiver: 'string' | 'array'): BuiltinEntry[] {
  const props: Record<string, string> = PROPERTIES[receiver];
  return [...Object.entries(props).map(([name, type]) => ({ name, signature: `${name}: ${type}`, property: true })), ...entries(BUILTINS[receiver])];
}

/** One member of strings or arrays, or of a namespace; undefined when there is none of that name. */
export function builtinMember(owner: 'string' | 'array' | string, name: string): BuiltinEntry | undefined {
  const list = owner === 'string' || owner === 'array' ? receiverMembers(owner) : namespaceMembers(owner);
  return list.find((e) => e.name === name);
}

/** A global function of that name, or undefined. */
export function builtinGlobal(name: string): BuiltinEntry | undefined {
  return builtinGlobals().find((e) => e.name === name);
}
