/**
 * A small LSP client for the tests: the JSON-RPC protocol connection of vscode-languageserver-protocol
 * (Content-Length framing, requests, notifications) over any pair of streams — a spawned server's
 * stdio, or in-memory pipes to a server started in this process (`inProcessServer`).
 *
 *   const c = await spawnedServer(['node', 'dist/server.js', '--stdio']);
 *   await c.initialize();
 *   c.open('file:///w.workflow', text);
 *   const d = await c.diagnostics('file:///w.workflow');   // the next publishDiagnostics for it
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createConnection as createServerConnection, type Connection } from 'vscode-languageserver';
import {
  CompletionRequest,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type CompletionItem,
  type CompletionList,
  type DocumentSymbol,
  type Hover,
  type InitializeResult,
  type Location,
  type Position,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { startServer } from '../../lsp/server.ts';

export class LspClient {
  private readonly published: PublishDiagnosticsParams[] = [];
  private waiters: { test: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  readonly logs: string[] = [];

  constructor(readonly connection: ProtocolConnection) {
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.push(p);
      this.waiters = this.waiters.filter((w) => (w.test(p) ? (w.resolve(p), false) : true));
    });
    connection.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    connection.listen();
  }

  /** Every publishDiagnostics received so far, oldest first. */
  get allPublished(): readonly PublishDiagnosticsParams[] {
    return this.published;
  }

  async initialize(initializationOptions: Record<string, unknown> = { debounceMs: 50 }): Promise<InitializeResult> {
    const r = await this.connection.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {}, initializationOptions });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return r;
  }

  open(uri: string, text: string, version = 1): void {
    void this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'currant', version, text } });
  }

  change(uri: string, version: number, contentChanges: TextDocumentContentChangeEvent[]): void {
    void this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
  }

  close(uri: string): void {
    void this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** The first publishDiagnostics for `uri` (with at least `version`) not yet seen by an earlier call, waiting for it. */
  diagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams> {
    const test = (p: PublishDiagnosticsParams) => p.uri === uri && (version === undefined || (p.version ?? -1) >= version);
    const seen = this.published.find(test);
    if (seen) {
      this.published.splice(this.published.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) =>
      this.waiters.push({
        test,
        resolve: (p) => {
          this.published.splice(this.published.indexOf(p), 1);
          resolve(p);
        },
      }),
    );
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  definition(uri: string, position: Position): Promise<Location | null> {
    return this.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position }) as Promise<Location | null>;
  }

  async completion(uri: string, position: Position): Promise<CompletionItem[]> {
    const r = (await this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position })) as CompletionList | CompletionItem[] | null;
    return r === null ? [] : Array.isArray(r) ? r : r.items;
  }

  symbols(uri: string): Promise<DocumentSymbol[] | null> {
    return this.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }) as Promise<DocumentSymbol[] | null>;
  }

  async shutdown(): Promise<void> {
    await this.connection.sendRequest(ShutdownRequest.type);
  }

  exit(): void {
    void this.connection.sendNotification(ExitNotification.type);
  }
}

/** The line and character of `needle` (its `nth` occurrence) in `text`, plus `delta` characters. */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' (#${nth}) not in the text`);
  }
  const offset = at + delta;
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/**
 * The server of lsp/server.ts in this process, over in-memory pipes with real JSON-RPC framing.
 * `exited` resolves with the exit code the server asks for on `exit` (0 after `shutdown`, else 1),
 * where the stdio server would end its process.
 */
export function inProcessServer(): { client: LspClient; exited: Promise<number>; dispose(): Promise<void> } {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  let exitWith: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (exitWith = r));
  let shutdownReceived = false;
  const server: Connection = createServerConnection(() => createProtocolConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient)), {
    get shutdownReceived() {
      return shutdownReceived;
    },
    set shutdownReceived(v: boolean) {
      shutdownReceived = v;
    },
    initialize: () => {},
    exit: (code: number) => exitWith(code),
  });
  startServer(server);
  const clientConnection = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const client = new LspClient(clientConnection);
  return {
    client,
    exited,
    async dispose() {
      // Pending debounce timers would publish into a closed pipe: a shutdown clears them first.
      if (!shutdownReceived) await client.shutdown();
      clientConnection.dispose();
      server.dispose();
      toServer.destroy();
      toClient.destroy();
    },
  };
}

/** A server process spoken to over its stdin/stdout; `exited` gives its exit code. */
export function spawnedServer(command: string, args: string[], cwd?: string): { client: LspClient; child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const client = new LspClient(createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!)));
  return { client, child, exited, stderr: () => stderr };
}
