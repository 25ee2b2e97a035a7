/**
 * The currant language server: the Language Server Protocol over the editor support in
 * dsl/editor/ — diagnostics as you type, hover with types, go to definition, completion, and the
 * outline of a file's declarations.
 *
 * Takes a `Connection` (vscode-languageserver: stdio in lsp/main.ts, in-memory streams in tests);
 * registers its handlers and listens. Everything about the language comes from `dsl/`; this file
 * only keeps the open documents, debounces changes and maps spans and items to the protocol.
 *
 *   const connection = createConnection(ProposedFeatures.all);   // --stdio
 *   startServer(connection);
 *
 * Hostile input: every document goes through `openDocument`, which never throws and bounds its
 * work (CS005 over 64 KiB, CS006 too deep, one parse per blanked line, at most four); changes are
 * debounced (`debounceMs`, default 200 ms) so typing fast re-checks once; a handler that fails
 * answers null and logs, never taking the server down.
 */
import {
  CompletionItemKind,
  DiagnosticSeverity,
  MarkupKind,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
  type CompletionItem,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type DocumentSymbol,
  type InitializeResult,
  type Range,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, Span } from '../dsl/index.ts';
import { completeAt, declarations, definitionAt, hoverAt, openDocument, type Completion, type EditorDocument } from '../dsl/editor/index.ts';
import { deploymentFor } from './deployment.ts';

/** What the client may set in `initializationOptions`. */
export interface ServerOptions {
  /** Quiet time after the last change before a document is checked again (0–5,000 ms; default 200). */
  debounceMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 200;

interface DocState {
  /** The analysis of one version of the text. */
  version: number;
  doc: EditorDocument;
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const analysed = new Map<string, DocState>();
  /** The last version of each document that parsed completely: completion falls back on it. */
  const lastGood = new Map<string, EditorDocument>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let debounceMs = DEFAULT_DEBOUNCE_MS;

  /** The analysis of the document's current text, made now if the text changed since. */
  function current(uri: string): { text: TextDocument; doc: EditorDocument } | undefined {
    const text = documents.get(uri);
    if (!text) return undefined;
    let state = analysed.get(uri);
    if (!state || state.version !== text.version) {
      // the .workflow files beside it are its deployment: child starts are checked against them
      const workflows = deploymentFor(uri);
      state = { version: text.version, doc: openDocument(text.getText(), fileName(uri), workflows ? { workflows } : {}) };
      analysed.set(uri, state);
      if (state.doc.program && !state.doc.partial) lastGood.set(uri, state.doc);
    }
    return { text, doc: state.doc };
  }

  function publish(uri: string): void {
    timers.delete(uri);
    const c = current(uri);
    if (!c) return;
    const diagnostics = c.doc.diagnostics.map((d) => toLspDiagnostic(c.text, d));
    send(() => connection.sendDiagnostics({ uri, version: c.text.version, diagnostics }));
  }

  function schedule(uri: string): void {
    clearTimeout(timers.get(uri));
    timers.set(uri, setTimeout(() => guarded('diagnostics', () => publish(uri), undefined), debounceMs));
  }

  function guarded<T>(what: string, f: () => T, fallback: T): T {
    try {
      return f();
    } catch (e) {
      try {
        connection.console.error(`currant: ${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      } catch {
        // the connection is gone: nobody to tell
      }
      return fallback;
    }
  }

  connection.onInitialize((params): InitializeResult => {
    const opts = (params.initializationOptions ?? {}) as ServerOptions;
    if (typeof opts.debounceMs === 'number' && Number.isFinite(opts.debounceMs)) debounceMs = Math.min(5000, Math.max(0, opts.debounceMs));
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        documentSymbolProvider: true,
        completionProvider: { triggerCharacters: ['.'] },
      },
      serverInfo: { name: 'currant', version: '0.1.0' },
    };
  });

  // Opening a file checks it at once; edits wait for a pause in typing.
  documents.onDidOpen((e) => guarded('diagnostics', () => publish(e.document.uri), undefined));
  // Also fired right after onDidOpen, for the version just published: only a new version is checked.
  documents.onDidChangeContent((e) => {
    const state = analysed.get(e.document.uri);
    if (state && state.version !== e.document.version) schedule(e.document.uri);
  });
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    analysed.delete(e.document.uri);
    lastGood.delete(e.document.uri);
    send(() => connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }));
  });

  connection.onHover((p) =>
    guarded('hover', () => {
      const c = current(p.textDocument.uri);
      if (!c?.doc.program) return null;
      const h = hoverAt(c.doc.program, c.doc.analysis, c.text.offsetAt(p.position));
      if (!h) return null;
      const value = ['```currant', h.code, '```', ...(h.doc ? ['', h.doc] : [])].join('\n');
      return { contents: { kind: MarkupKind.Markdown, value }, range: toRange(c.text, h.span) };
    }, null),
  );

  connection.onDefinition((p) =>
    guarded('definition', () => {
      const c = current(p.textDocument.uri);
      if (!c?.doc.program) return null;
      const d = definitionAt(c.doc.program, c.text.offsetAt(p.position));
      return d ? { uri: p.textDocument.uri, range: toRange(c.text, d.binding.span) } : null;
    }, null),
  );

  connection.onCompletion((p) =>
    guarded('completion', () => {
      const c = current(p.textDocument.uri);
      if (!c) return null;
      const r = completeAt(c.doc, c.text.offsetAt(p.position), lastGood.get(p.textDocument.uri));
      return { isIncomplete: false, items: r.items.map(toCompletionItem) };
    }, null),
  );

  connection.onDocumentSymbol((p) =>
    guarded('symbols', () => {
      const c = current(p.textDocument.uri);
      if (!c?.doc.program) return null;
      return declarations(c.doc.program).map(
        (d): DocumentSymbol => ({
          name: d.name,
          kind: SYMBOL_KIND[d.kind as keyof typeof SYMBOL_KIND] ?? SymbolKind.Variable,
          detail: d.kind,
          range: toRange(c.text, d.declaration),
          selectionRange: toRange(c.text, d.span),
        }),
      );
    }, null),
  );

  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  documents.listen(connection);
  connection.listen();
}

/** A notification on its way: once the connection is gone (the client quit) there is no one to tell. */
function send(notify: () => Promise<void>): void {
  try {
    notify().catch(() => {});
  } catch {
    // disposed: the same
  }
}

const SYMBOL_KIND = { type: SymbolKind.Interface, task: SymbolKind.Function, function: SymbolKind.Function, workflow: SymbolKind.Class } as const;

/** The last path segment of a document URI, as the file name in diagnostics. */
function fileName(uri: string): string {
  const last = uri.slice(uri.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last) || 'workflow.workflow';
  } catch {
    return last || 'workflow.workflow';
  }
}

function toRange(text: TextDocument, span: Span): Range {
  // An empty span (CS005 at 1:1, the end of the input) is widened to one character so it shows.
  const end = span.end > span.start ? span.end : Math.min(span.start + 1, text.getText().length);
  return { start: text.positionAt(span.start), end: text.positionAt(Math.max(end, span.start)) };
}

function toLspDiagnostic(text: TextDocument, d: Diagnostic): LspDiagnostic {
  return {
    range: toRange(text, d.span),
    severity: d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
    code: d.code,
    source: 'currant',
    message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
  };
}

const ITEM_KIND: Record<Completion['kind'], CompletionItemKind> = {
  variable: CompletionItemKind.Variable,
  parameter: CompletionItemKind.Variable,
  task: CompletionItemKind.Function,
  function: CompletionItemKind.Function,
  builtin: CompletionItemKind.Function,
  namespace: CompletionItemKind.Module,
  property: CompletionItemKind.Field,
  method: CompletionItemKind.Method,
  keyword: CompletionItemKind.Keyword,
  type: CompletionItemKind.Interface,
};

/** Variables first, then tasks and helpers, fields, built-ins, keywords. */
const ITEM_ORDER: Record<Completion['kind'], number> = { variable: 0, parameter: 0, property: 0, task: 1, function: 1, method: 1, type: 1, builtin: 2, namespace: 2, keyword: 3 };

function toCompletionItem(c: Completion): CompletionItem {
  const item: CompletionItem = { label: c.label, kind: ITEM_KIND[c.kind], sortText: `${ITEM_ORDER[c.kind]}${c.label}` };
  if (c.detail) item.detail = c.detail;
  return item;
}
