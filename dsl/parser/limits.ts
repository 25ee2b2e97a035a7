/**
 * The parser's limits: the largest source (CS005), the deepest tree (CS006) and the number of syntax
 * errors reported for one source.
 */

/**
 * The largest source accepted, in UTF-16 code units (`source.length`; 64 KiB of ASCII). Checked
 * before parsing: parse time and memory grow linearly with the size but steeply (ohm's memo table:
 * ~25 ms and ~5 MB per KB of statements, twice that for long argument lists; see `npm run bench`),
 * so the largest source accepted compiles in ~4 s within ~700 MB, which the engine's 1,024 MB
 * functions hold. The largest example is under 10 KB. Over it: CS005 at 1:1.
 */
export const MAX_SOURCE_LENGTH = 64 * 1024;

/**
 * The deepest syntax tree accepted: levels of nodes from the program down (a workflow body is 3,
 * each `+` of a left-deep `a + b + c …` chain, each `.y` of `x.y.y…`, each call, `!`, bracket,
 * block or `if` one more). The checker and the interpreter walk the tree recursively; this bound
 * keeps them far from the stack limit (they survive well over 2,000 levels). A 400-term
 * concatenation fits. Over it: CS006 at the first node too deep.
 */
export const MAX_NESTING = 512;

/** Syntax errors reported for one source at most (the rest are usually consequences). */
export const MAX_SYNTAX_ERRORS = 50;
