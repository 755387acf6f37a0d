// The RPC wire: a request carries a `callId` chosen by the caller (a transport id, unrelated to a
// batch job's `jobId`); the answering side sends an `ack`, any number of `event`s and one
// `response`; `cancel` asks it to stop. `ping`/`pong` prove the other side is alive; `notice`s are
// unsolicited (the engine's logs and readiness); `error` reports a message that was refused.
import type { Result, WorkbenchErrorInfo } from '../result';

export type RpcMessage =
  | { type: 'request'; callId: string; channel: string; input: unknown }
  | { type: 'cancel'; callId: string }
  | { type: 'ack'; callId: string }
  | { type: 'event'; callId: string; event: unknown }
  | { type: 'response'; callId: string; result: Result<unknown> }
  | { type: 'error'; callId?: string; error: WorkbenchErrorInfo }
  | { type: 'ping'; n: number }
  | { type: 'pong'; n: number }
  | { type: 'notice'; topic: string; data: unknown };

export const MAX_CALL_ID_LENGTH = 100;
const TYPES = new Set(['request', 'cancel', 'ack', 'event', 'response', 'error', 'ping', 'pong', 'notice']);

const isCallId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_CALL_ID_LENGTH;

/** The message if its shape is right (fields other sides rely on), else null. */
export function parseMessage(raw: unknown): RpcMessage | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const m = raw as Record<string, unknown>;
  if (typeof m.type !== 'string' || !TYPES.has(m.type)) return null;
  switch (m.type) {
    case 'request':
      return isCallId(m.callId) && typeof m.channel === 'string' && m.channel.length <= 200 ? (m as RpcMessage) : null;
    case 'cancel':
    case 'ack':
    case 'event':
      return isCallId(m.callId) ? (m as RpcMessage) : null;
    case 'response': {
      const r = m.result as { ok?: unknown } | null;
      return isCallId(m.callId) && !!r && typeof r === 'object' && typeof r.ok === 'boolean' ? (m as RpcMessage) : null;
    }
    case 'ping':
    case 'pong':
      return typeof m.n === 'number' ? (m as RpcMessage) : null;
    case 'notice':
      return typeof m.topic === 'string' ? (m as RpcMessage) : null;
    case 'error':
      return m.error && typeof m.error === 'object' ? (m as RpcMessage) : null;
  }
  return null;
}
