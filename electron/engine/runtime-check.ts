// "Can ONNX Runtime run this here?": load the model for real and explain a failure in plain words.
import { performance } from 'node:perf_hooks';
import type { RuntimeCheck } from '../../shared/contract';
import type { DType, ValueInfo } from '../../shared/model-info';
import { DTYPES } from '../../shared/model-info';
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

/** Turns onnxruntime's error text into a one-line cause a user can act on. */
export function explainRuntimeError(message: string): string {
  const notImpl = /Could not find an implementation for (\S+)\((\d+)\) node with name '([^']*)'/.exec(message);
  if (notImpl) {
    return `Operator ${notImpl[1]} (opset ${notImpl[2]}, node "${notImpl[3]}") has no implementation in this ONNX Runtime build.`;
  }
  const noSchema = /No Op registered for (\S+) with domain_version of (\d+)/.exec(message);
  if (noSchema) {
    const domain = /domain[: ]+'?([\w.]+)'?/i.exec(message.slice(noSchema.index + noSchema[0].length));
    return `Unsupported operator ${noSchema[1]}${domain ? ` of domain ${domain[1]}` : ''} at opset ${noSchema[2]}.`;
  }
  const opset =
    /Opset (\d+) is under development|ONNX Runtime only \*guarantees\* support for models stamped with official released onnx opset versions/.exec(
      message,
    );
  if (opset) return 'The model uses an opset newer than this ONNX Runtime supports.';
  if (/Unsupported model IR version/i.test(message)) return "The model's IR version is newer than this ONNX Runtime supports.";
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
  const firstLine = message.split('\n')[0] ?? message;
  return firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine;
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
      problem: { summary: explainRuntimeError(detail), detail },
    };
  }
}
