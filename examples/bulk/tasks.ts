/**
 * Tasks for examples/bulk: `render` repeats the text into a report of exactly `bytes` characters
 * (ASCII text: one byte each); `digest` gives the report's length and SHA-256.
 *
 *   await render('ab', 5)     // => 'ababa'
 *   await digest('ababa')     // => { bytes: 5, sha256: '…' }
 */
import { createHash } from 'node:crypto';

export async function render(text: string, bytes: number) {
  if (text.length === 0) throw new Error('nothing to render');
  return text.repeat(Math.ceil(bytes / text.length)).slice(0, bytes);
}

export async function digest(report: string) {
  return { bytes: Buffer.byteLength(report, 'utf8'), sha256: createHash('sha256').update(report).digest('hex') };
}
