/**
 * The currant parser's public surface, kept at this path for its importers: the parser itself is the
 * `parser/` folder (entry point `parser/index.ts`; see dsl/README.md for what each module owns).
 */
export * from './parser/index.ts';
