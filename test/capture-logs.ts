// Captures what the engine functions log: Powertools writes JSON lines to process.stdout/stderr
// through its own Console (not the global console), so the tests listen on the streams.
import { vi } from 'vitest';

export interface CapturedLogs {
  /** Every JSON line written since `captureLogs()`, parsed. */
  lines(): Record<string, unknown>[];
  /** Every line as written (JSON or not). */
  text(): string;
  restore(): void;
}

export function captureLogs(): CapturedLogs {
  const raw: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      raw.push(String(chunk));
      return true;
    }) as typeof stream.write),
  );
  const all = () => raw.join('').split('\n').filter((l) => l.trim() !== '');
  return {
    lines: () =>
      all().flatMap((l) => {
        try {
          const v: unknown = JSON.parse(l);
          return typeof v === 'object' && v !== null ? [v as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    text: () => raw.join(''),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}
