// The answering side of the RPC core: one handler for every request, events relayed, cancel
// aborts the call's signal, the port's end aborts every call still running on it. Requests are
// refused before the handler sees them when their call id is already in flight, their payload
// is too deep, or too many calls are in flight on this connection or in total (BUSY).
import { type Result, fail, toErrorInfo } from '../result';
import { type InFlightBudget, MAX_PAYLOAD_DEPTH, payloadProblem } from './limits';
import { type RpcMessage, parseMessage } from './messages';
import type { Port } from './port';

export interface RpcCallContext {
  signal: AbortSignal;
  emit(event: unknown): void;
  callId: string;
}

/** Answers one request; may throw (the error becomes the response). */
export type RpcHandler = (channel: string, input: unknown, ctx: RpcCallContext) => Promise<Result<unknown>>;

export interface ServeOptions {
  /** Calls in flight on this connection (default 32). */
  maxInFlight?: number;
  /** Calls in flight over every connection sharing this budget. */
  budget?: InFlightBudget;
  maxDepth?: number;
  /** Acknowledge each request as it is taken (the engine does, for its watchdog). */
  ack?: boolean;
  /** Who is calling, in the BUSY message ("this window", "this connection"). */
  who?: string;
}

export interface RpcServer {
  readonly inFlight: number;
  /** Aborts every call in flight (their responses are still sent while the port is open). */
  close(): void;
}

export function serveRpc(port: Port, handler: RpcHandler, options: ServeOptions = {}): RpcServer {
  const calls = new Map<string, AbortController>();
  const maxInFlight = options.maxInFlight ?? 32;
  const maxDepth = options.maxDepth ?? MAX_PAYLOAD_DEPTH;
  const who = options.who ?? 'this connection';
  let open = true;
  const send = (message: RpcMessage) => {
    if (open) port.send(message);
  };

  const run = async (callId: string, channel: string, input: unknown, controller: AbortController) => {
    let result: Result<unknown>;
    try {
      result = await handler(channel, input, {
        signal: controller.signal,
        callId,
        emit: (event) => {
          if (calls.get(callId) === controller) send({ type: 'event', callId, event });
        },
      });
    } catch (error) {
      result = {
        ok: false,
        error: controller.signal.aborted ? { code: 'CANCELLED', message: 'Cancelled.' } : toErrorInfo(error),
      };
    } finally {
      calls.delete(callId);
      options.budget?.release();
    }
    send({ type: 'response', callId, result });
  };

  port.onMessage((raw) => {
    const msg = parseMessage(raw);
    if (!msg) {
      send({
        type: 'error',
        error: { code: 'INVALID_INPUT', message: 'Malformed message: expected {type, callId, …} as an object.' },
      });
      return;
    }
    switch (msg.type) {
      case 'ping':
        send({ type: 'pong', n: msg.n });
        return;
      case 'cancel':
        calls.get(msg.callId)?.abort();
        return;
      case 'request':
        break;
      default:
        return;
    }
    const { callId, channel, input } = msg;
    if (calls.has(callId)) {
      send({ type: 'error', callId, error: { code: 'INVALID_INPUT', message: `Call id ${callId} is already in flight.` } });
      return;
    }
    if (calls.size >= maxInFlight) {
      send({
        type: 'response',
        callId,
        result: fail('BUSY', `Too many requests in flight from ${who} (${maxInFlight}); wait for some to finish.`),
      });
      return;
    }
    const problem = payloadProblem(input, maxDepth);
    if (problem) {
      send({ type: 'response', callId, result: fail('INVALID_INPUT', `Invalid request for ${channel}: ${problem}.`) });
      return;
    }
    if (options.budget && !options.budget.tryAcquire()) {
      send({
        type: 'response',
        callId,
        result: fail('BUSY', `Too many requests in flight in total (${options.budget.limit}); wait for some to finish.`),
      });
      return;
    }
    const controller = new AbortController();
    calls.set(callId, controller);
    if (options.ack) send({ type: 'ack', callId });
    void run(callId, channel, input, controller);
  });

  const abortAll = () => {
    for (const controller of calls.values()) controller.abort();
  };
  port.onClose(() => {
    open = false;
    abortAll();
  });

  return {
    get inFlight() {
      return calls.size;
    },
    close: abortAll,
  };
}

/**
 * A table of handlers that return values or throw, as one RpcHandler answering Results;
 * `context` adds what the table's handlers get beyond the call's signal and emit.
 */
export function tableHandler(
  table: object,
  options: { what?: string; context?: (ctx: RpcCallContext) => object } = {},
): RpcHandler {
  const handlers = table as Record<string, (input: unknown, ctx: object) => Promise<unknown>>;
  return async (channel, input, ctx) => {
    if (!Object.prototype.hasOwnProperty.call(handlers, channel)) {
      return fail('UNKNOWN_CHANNEL', `There is no ${options.what ?? 'channel'} named ${JSON.stringify(channel)}.`);
    }
    try {
      return { ok: true, value: await handlers[channel](input, options.context?.(ctx) ?? ctx) };
    } catch (error) {
      return { ok: false, error: ctx.signal.aborted ? { code: 'CANCELLED', message: 'Cancelled.' } : toErrorInfo(error) };
    }
  };
}
