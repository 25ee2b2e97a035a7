/**
 * Editor support: what a language server needs from the language core, as pure functions over the
 * text and its program. The LSP server (lsp/) only maps these to the protocol.
 *
 *   const doc = openDocument(text, 'order.workflow')   // diagnostics + a program even while broken
 *   hoverAt(doc.program!, doc.analysis, offset)        // { span, code: 'const payment: Payment' }
 *   definitionAt(doc.program!, offset)                 // { name, usage, binding: { kind: 'task', span } }
 *   completeAt(doc, offset, lastGoodDoc)               // { from, items: [{ label: 'paymentId', kind: 'property' }] }
 */
export { openDocument, recoverProgram, blankLine, MAX_BLANKED_LINES, MAX_RECOVERY_LENGTH, type EditorDocument } from './document.ts';
export { nodePathAt, nodeAt, childNodes, declarations, scopeAt, definitionAt, type Binding, type Definition } from './lookup.ts';
export { hoverAt, declarationText, type Hover } from './hover.ts';
export { completeAt, inCommentOrString, wordStart, KEYWORDS, PLACEHOLDER, type Completion, type CompletionResult } from './complete.ts';
export { builtinGlobals, builtinNamespaces, namespaceMembers, receiverMembers, builtinMember, builtinGlobal, isBuiltinNamespace, type BuiltinEntry } from './builtins.ts';
