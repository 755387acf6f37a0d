// Local lint rules for the process boundaries (used by eslint.config.js, which holds the tables).
//
// import-patterns: an allow-list per folder, as VS Code's code-import-patterns. Every way of naming
//   another module is checked: import/export ... from, import(), require(), import x = require(),
//   `typeof import('x')` in types, and calls of a require made with createRequire. A relative
//   specifier is resolved to a path in the repository and must lie in an allowed folder
//   ('shared/') or be an allowed file ('./package.json'); a bare one must be an allowed package
//   ('zod', 'svelte/*' for its subpaths, 'node:*' for Node's built-ins). Anything else fails.
// native-modules: onnxruntime-node and sharp are loaded by the engine process only. Enabled
//   outside electron/engine/, it names the side doors the allow-list would also refuse
//   (a dynamic import, require, createRequire) with a message that says why.
import { dirname, isAbsolute, relative, resolve } from 'node:path';

const root = import.meta.dirname;

export const NATIVE_MODULES = ['onnxruntime-node', 'sharp'];

const isNative = (spec) => NATIVE_MODULES.some((m) => spec === m || spec.startsWith(`${m}/`));

/** Calls every `report(node, specifier, how)` for each module the file names. */
function moduleVisitor(report) {
  const requireNames = new Set(['require']);
  const literal = (node) =>
    node?.type === 'Literal' && typeof node.value === 'string'
      ? node.value
      : node?.type === 'TemplateLiteral' && node.expressions.length === 0
        ? node.quasis[0].value.cooked
        : undefined;
  const checkSource = (node, source, how) => {
    const spec = literal(source);
    if (spec !== undefined) report(node, spec, how);
    else if (source) report(node, undefined, how);
  };
  const isCreateRequire = (node) =>
    node?.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'createRequire';
  return {
    ImportDeclaration: (node) => checkSource(node, node.source, 'import'),
    ExportNamedDeclaration: (node) => node.source && checkSource(node, node.source, 'export'),
    ExportAllDeclaration: (node) => checkSource(node, node.source, 'export'),
    ImportExpression: (node) => checkSource(node, node.source, 'import()'),
    TSImportType: (node) => {
      // typescript-eslint 8.x: `source` (newer), or `argument`, a TSLiteralType around the string.
      const arg = node.source ?? (node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument);
      checkSource(node, arg, 'import type');
    },
    TSExternalModuleReference: (node) => checkSource(node, node.expression, 'require'),
    VariableDeclarator: (node) => {
      if (node.id.type === 'Identifier' && isCreateRequire(node.init)) requireNames.add(node.id.name);
    },
    CallExpression: (node) => {
      const callee = node.callee;
      const isRequire =
        (callee.type === 'Identifier' && requireNames.has(callee.name)) ||
        isCreateRequire(callee) ||
        (callee.type === 'MemberExpression' &&
          callee.object.type === 'Identifier' &&
          callee.object.name === 'module' &&
          callee.property.type === 'Identifier' &&
          callee.property.name === 'require');
      // require.resolve() finds a file without loading it, so it is not an import.
      if (isRequire && node.arguments.length > 0) checkSource(node, node.arguments[0], 'require');
    },
  };
}

const posix = (p) => p.split('\\').join('/');
const stem = (p) => p.replace(/(\/index)?\.(ts|js|mjs|svelte|json)$/, '');

function allowed(spec, fromFile, allow) {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const target = posix(relative(root, resolve(dirname(fromFile), spec)));
    if (target.startsWith('..')) return false;
    return allow.some((a) =>
      a.endsWith('/') ? target.startsWith(a) || `${target}/` === a : a.startsWith('./') && stem(target) === stem(a.slice(2)),
    );
  }
  return allow.some((a) => {
    if (a.endsWith('/') || a.startsWith('./')) return false;
    if (a === 'node:*') return spec.startsWith('node:');
    if (a.endsWith('/*')) return spec === a.slice(0, -2) || spec.startsWith(a.slice(0, -1));
    return spec === a;
  });
}

const importPatterns = {
  meta: {
    type: 'problem',
    docs: { description: 'Each folder imports only what its process may load (an allow-list).' },
    schema: [
      {
        type: 'object',
        properties: {
          layer: { type: 'string' },
          runs: { type: 'string' },
          allow: { type: 'array', items: { type: 'string' } },
        },
        required: ['layer', 'allow'],
        additionalProperties: false,
      },
    ],
    messages: {
      denied: "{{layer}}/ ({{runs}}) may not import '{{spec}}'. It may import: {{allow}}.",
      computed: '{{layer}}/ ({{runs}}): the module of a {{how}} must be a string literal, so that it can be checked.',
    },
  },
  create(context) {
    const { layer, runs = 'see eslint.config.js', allow } = context.options[0];
    return moduleVisitor((node, spec, how) => {
      if (spec === undefined) {
        context.report({ node, messageId: 'computed', data: { layer, runs, how } });
      } else if (!allowed(spec, context.filename, allow)) {
        context.report({ node, messageId: 'denied', data: { layer, runs, spec, allow: allow.join(', ') } });
      }
    });
  },
};

const nativeModules = {
  meta: {
    type: 'problem',
    docs: { description: 'onnxruntime-node and sharp load only in the engine process.' },
    schema: [],
    messages: {
      native:
        "'{{spec}}' ({{how}}) is a native module: only electron/engine/ loads it, so that a crash or a blocking call stays in the engine process.",
    },
  },
  create(context) {
    return moduleVisitor((node, spec, how) => {
      if (spec !== undefined && isNative(spec)) context.report({ node, messageId: 'native', data: { spec, how } });
    });
  },
};

export default { rules: { 'import-patterns': importPatterns, 'native-modules': nativeModules } };
