/**
 * Literal cooking: string and template bodies (escapes, as JavaScript reads them) and number
 * literals; CS004 on a bad escape or number.
 */
import * as ohm from 'ohm-js';
import { report, span, spanNode } from './context.ts';

/** Cooks the body of a string or template (without quotes), as JavaScript does. CS004 on a bad escape. */
export function cook(raw: string, start: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const at = start + i;
    const e = raw[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\n': case '\u2028': case '\u2029': break; // line continuation
      case '\r': if (raw[i + 1] === '\n') i++; break;
      case 'x': {
        const hex = raw.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          report('CS004', span(at, at + 2 + hex.length), 'invalid escape: `\\x` needs two hex digits');
          break;
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      case 'u': {
        if (raw[i + 1] === '{') {
          const close = raw.indexOf('}', i);
          const hex = close < 0 ? '' : raw.slice(i + 2, close);
          const cp = /^[0-9a-fA-F]{1,6}$/.test(hex) ? parseInt(hex, 16) : -1;
          if (cp < 0 || cp > 0x10ffff) {
            report('CS004', span(at, at + 2), 'invalid escape: `\\u{…}` needs a code point up to 10FFFF');
            break;
          }
          out += String.fromCodePoint(cp);
          i = close;
          break;
        }
        const hex = raw.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          report('CS004', span(at, at + 2 + hex.length), 'invalid escape: `\\u` needs four hex digits');
          break;
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      case '0':
        // `\0` is NUL unless a digit follows (then it is a legacy octal escape)
        if (!/[0-9]/.test(raw[i + 1] ?? '')) out += '\0';
        else report('CS004', span(at, at + 2), 'octal escapes are not supported: use `\\u` escapes');
        break;
      case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        report('CS004', span(at, at + 2), 'octal escapes are not supported: use `\\u` escapes');
        break;
      default:
        out += e ?? '';
    }
  }
  return out;
}

export function numberValue(n: ohm.Node): number {
  const text = n.sourceString.replace(/_/g, '');
  const value = Number(text);
  if (/^0[0-9]/.test(text)) report('CS004', spanNode(n), 'numbers cannot start with 0 (octal is not supported)');
  else if (!Number.isFinite(value)) report('CS004', spanNode(n), 'number literal is too large');
  return value;
}
