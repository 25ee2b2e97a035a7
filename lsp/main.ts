/**
 * The language server's process entry: `node server.js --stdio` (also `--node-ipc`, `--socket=N`,
 * as vscode-languageserver reads them from the command line). Bundled by
 * editors/vscode/scripts/build.mjs into the extension's `dist/server.js`; from a checkout,
 * `npx tsx lsp/main.ts --stdio` runs the same server.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server.ts';

startServer(createConnection(ProposedFeatures.all));
