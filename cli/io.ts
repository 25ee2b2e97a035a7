/**
 * The CLI's small I/O helpers: reading files and JSON arguments, the database path, and output
 * streams with colour only on a terminal.
 *
 *   const input = readJsonArg('@examples/order/input.json', '--input') // parsed JSON or CliError(2)
 *   const out = output(process.stdout); out.line(out.c.green('ok'))
 */
import { checkValue, LIMITS } from '../runtime/limits.ts';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pc from 'picocolors';
import { CliError, EXIT } from './exit.ts';

export const DEFAULT_DB = '.currant/currant.db';

/** Reads a text file, or fails with exit 2 naming the file and what it was for. */
export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message);
    throw new CliError(EXIT.USAGE, `cannot read ${what} '${path}': ${why}`);
  }
}

/**
 * A JSON command-line value: inline text, or `@path` for a file's content. Invalid JSON is exit 2
 * with the parser's message.
 */
export function readJsonArg(arg: string, what: string): unknown {
  const fromFile = arg.startsWith('@');
  const text = fromFile ? readText(arg.slice(1), `${what} file`) : arg;
  const where = fromFile ? `${what} file '${arg.slice(1)}'` : what;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(EXIT.USAGE, `invalid JSON in ${where}: ${(e as Error).message}`);
  }
  // The same limits as the api (runtime/limits.ts): too deep or too large is exit 2, nothing changed.
  const fits = checkValue(value, LIMITS.input, `the ${where}`);
  if (!fits.ok) throw new CliError(EXIT.USAGE, `${fits.code}: ${fits.message}`);
  return value;
}

/** Checks that a module path exists before anything is created (a typo is exit 2, not a crash later). */
export function existingFile(path: string, what: string): string {
  const abs = resolve(path);
  let ok = false;
  try {
    ok = statSync(abs).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw new CliError(EXIT.USAGE, `cannot find ${what} '${path}'`);
  return abs;
}

/** The database path, with its folder created (for commands that may create the database). */
export function dbPathForWrite(db: string | undefined): string {
  const path = resolve(db ?? DEFAULT_DB);
  mkdirSync(dirname(path), { recursive: true });
  return path;
}

/**
 * The database path for commands that only read or act on existing instances: a missing file is
 * exit 2 rather than silently creating an empty database.
 */
export function dbPathExisting(db: string | undefined): string {
  const path = resolve(db ?? DEFAULT_DB);
  try {
    if (statSync(path).isFile()) return path;
  } catch {
    /* fall through */
  }
  throw new CliError(EXIT.USAGE, `no database at '${db ?? DEFAULT_DB}' (run a workflow first, or pass --db)`);
}

export type Colors = ReturnType<typeof pc.createColors>;

export interface Output {
  /** True when the stream is a terminal: colour and in-place progress are on. */
  tty: boolean;
  c: Colors;
  line(text?: string): void;
  write(text: string): void;
}

/** An output stream; colour follows the stream being a terminal (and NO_COLOR / FORCE_COLOR). */
export function output(stream: NodeJS.WriteStream): Output {
  const tty = Boolean(stream.isTTY);
  const colour = tty ? pc.isColorSupported : Boolean(process.env.FORCE_COLOR);
  return {
    tty,
    c: pc.createColors(colour),
    line: (text = '') => void stream.write(text + '\n'),
    write: (text) => void stream.write(text),
  };
}
