// "Can ONNX Runtime run this here?": load the model for real and explain a failure in plain words.
import { performance } from 'node:perf_hooks';
import type { RuntimeCheck } from '../../shared/contract';
import type { DType, ValueInfo } from '../../shared/model-info';
import { DTYPES } from '../../shared/model-info';
import { readModelInfo } from '../common/onnx/reader';
import { loadOrt } from './ort';
import { assertRegularFile } from '../common/regular-file';

interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

function toValueInfo(meta: OrtValueMetadata): ValueInfo {
  const dtype = (DTYPES as readonly string[]).includes(meta.type ?? '') ? (meta.type as DType) : null;
  return {
    name: meta.name,
    kind: meta.isTensor ? 'tensor' : 'unknown',
    dtype,
    // onnxruntime reports an unnamed dim as "" — we call that null.
    shape: meta.shape ? meta.shape.map((d) => (d === '' ? null : d)) : null,
  };
}

/** What a sentence about a load error can name besides onnxruntime's text. */
export interface LoadErrorContext {
  /** onnxruntime's version, e.g. "1.30.0". */
  ortVersion?: string | null;
  /** The model's opset imports ("" is ai.onnx). */
  opsets?: readonly { domain: string; version: number }[];
}

const domainName = (d: string) => (d === '' || d === 'ai.onnx' ? 'ai.onnx' : d);

function byOrt(ctx: LoadErrorContext): string {
  return ctx.ortVersion ? `onnxruntime ${ctx.ortVersion.split('.').slice(0, 2).join('.')}` : 'this onnxruntime';
}

function opsetOf(domain: string, ctx: LoadErrorContext): number | null {
  const hit = ctx.opsets?.find((o) => domainName(o.domain) === domainName(domain));
  return hit ? hit.version : null;
}

/** Turns onnxruntime's error text into a sentence a user can act on (the raw text stays available). */
export function explainRuntimeError(message: string, ctx: LoadErrorContext = {}): string {
  const ort = byOrt(ctx);
  // "com.example:FancyOp(-1) is not a registered function/op": an operator of a domain onnxruntime does not know.
  const unregistered = /(?:^|\s)([\w.]*):([\w.]+)\((-?\d+)\) is not a registered function\/op/.exec(message);
  if (unregistered) {
    const [, domain, op] = unregistered;
    const opset = opsetOf(domain, ctx);
    const custom = domainName(domain) !== 'ai.onnx' && domainName(domain) !== 'com.microsoft';
    return (
      `Operator ${op} of domain ${domainName(domain)} is not implemented by ${ort}` +
      `${opset !== null ? ` (the model imports ${domainName(domain)} at opset ${opset})` : ''}` +
      `${custom ? ': it is a custom operator, which needs the library that implements it.' : '.'}`
    );
  }
  const notImpl = /Could not find an implementation for (\S+)\((\d+)\) node with name '([^']*)'/.exec(message);
  if (notImpl) {
    return `Operator ${notImpl[1]} (opset ${notImpl[2]}, node "${notImpl[3]}") has no implementation in ${ort} for the types this node uses.`;
  }
  const noSchema = /No Op registered for (\S+) with domain_version of (\d+)/.exec(message);
  if (noSchema) {
    const after = /domain[: ]+'?([\w.]+)'?/i.exec(message.slice(noSchema.index + noSchema[0].length));
    const node = /In Node, \("([^"]*)", \S+, "([^"]*)"/.exec(message);
    const domain = domainName(after?.[1] ?? node?.[2] ?? '');
    return `Operator ${noSchema[1]} of domain ${domain} is not implemented by ${ort} (opset ${noSchema[2]}${node?.[1] ? `, node "${node[1]}"` : ''}).`;
  }
  const newOpset = /Opset (\d+) is under development/.exec(message);
  if (
    newOpset ||
    /ONNX Runtime only \*guarantees\* support for models stamped with official released onnx opset versions/.test(message)
  ) {
    const till = /Current official support for domain (\S+) is till opset (\d+)/.exec(message);
    const uses = newOpset ? ` uses opset ${newOpset[1]}${till ? ` of ${till[1]}` : ''}` : ' uses an opset';
    return `The model${uses}, newer than ${ort} supports${till ? ` (up to opset ${till[2]})` : ''}.`;
  }
  const ir = /Unsupported model IR version:? ?(\d+)?(?:, max supported IR version:? ?(\d+))?/i.exec(message);
  if (ir) {
    return `The model's IR version${ir[1] ? ` ${ir[1]}` : ''} is newer than ${ort} supports${ir[2] ? ` (up to ${ir[2]})` : ''}.`;
  }
  if (/bad_alloc|Failed to allocate|out of memory/i.test(message)) return 'Out of memory while loading the model.';
  if (isExternalDataError(message)) return 'An external data file the model needs is missing or unreadable.';
  // Type and shape errors come wrapped in "Load model … failed" too: test them first.
  const typeError = /Type Error: (.*?)(?:\n|$)|ShapeInferenceError\]? ?(.*?)(?:\n|$)/.exec(message);
  if (typeError || /INVALID_GRAPH|type mismatch/i.test(message)) {
    const what = (typeError?.[1] ?? typeError?.[2] ?? '').trim();
    return `The model is invalid: its graph does not type-check${what ? ` (${what})` : ''}.`;
  }
  if (/Protobuf parsing failed|INVALID_PROTOBUF/i.test(message)) {
    return 'ONNX Runtime could not parse the file as an ONNX model.';
  }
  // Unknown: onnxruntime's first line, without its "Load model from … failed:" wrapper or source-file prefix.
  const firstLine = (message.split('\n')[0] ?? message)
    .replace(/^Load model from .*? failed:\s*/, '')
    .replace(/^\S+\.(?:cc|cpp|h):\d+\s+\S.*?\)\s+/, '');
  return firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine;
}

/** The context of a model's load error: onnxruntime's version and the model's opsets (when the file reads). */
export async function loadErrorContext(path: string): Promise<LoadErrorContext> {
  const [ortVersion, opsets] = await Promise.all([
    loadOrt().then(
      (o) => o.env.versions.node ?? null,
      () => null,
    ),
    readModelInfo(path).then(
      (i) => i.opsets,
      () => undefined,
    ),
  ]);
  return { ortVersion, opsets };
}

/** ORT's words for a missing or unreadable external data file (the error code EXTERNAL_DATA). */
export function isExternalDataError(message: string): boolean {
  return /external data|ExternalData|GetExtDataFromTensorProto|External initializer/i.test(message);
}

export async function checkRuntime(path: string, ctx: { emit(event: { stage: string }): void }): Promise<RuntimeCheck> {
  ctx.emit({ stage: 'loading onnxruntime' });
  const ort = await loadOrt();
  ctx.emit({ stage: 'creating session' });
  const start = performance.now();
  try {
    await assertRegularFile(path, 'an ONNX model');
    const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
    const loadMs = performance.now() - start;
    const result: RuntimeCheck = {
      ok: true,
      provider: 'cpu',
      loadMs,
      inputs: session.inputMetadata.map((m) => toValueInfo(m as OrtValueMetadata)),
      outputs: session.outputMetadata.map((m) => toValueInfo(m as OrtValueMetadata)),
    };
    await session.release();
    return result;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      provider: 'cpu',
      loadMs: performance.now() - start,
      inputs: [],
      outputs: [],
      problem: { summary: explainRuntimeError(detail, await loadErrorContext(path)), detail },
    };
  }
}
