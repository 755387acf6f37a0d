// The calling side of the RPC core, typed by a channel table (the contract, or the engine's).
// Every pending call is settled exactly once: by its response, or with an error when the port
// closes. A call id still in flight is never reused (a caller-chosen duplicate is refused).
import type { z } from 'zod';
import type { Channel } from '../contract';
import { type Result, type WorkbenchErrorInfo, fail } from '../result';
import { payloadProblem } from './limits';
import { type RpcMessage, MAX_CALL_ID_LENGTH, parseMessage } from './messages';
import type { Port } from './port';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of channels of any types
export type ChannelTable = Record<string, Channel<any, unknown, unknown>>;
export type InputOf<T extends ChannelTable, C extends keyof T> = z.input<T[C]['input']>;
export type OutputOf<T extends ChannelTable, C extends keyof T> = Exclude<T[C]['output'], undefined>;
export type EventOf<T extends ChannelTable, C extends keyof T> = NonNullable<T[C]['event']>;

export interface CallOptions<E> {
  /** Aborting sends a cancel; the call then answers CANCELLED whatever the other side says (its events until then still arrive). */
  signal?: AbortSignal;
  onEvent?: (event: E) => void;
  /** The transport id; generated when absent. One still in flight is refused. */
  callId?: string;
  /** The other side acknowledged the request (it had it in hand). */
  onAck?: () => void;
}

export interface RpcClientOptions {
  /** Prefix of generated call ids (which side asked, in logs). */
  idPrefix?: string;
  /** The error pending calls fail with when the port closes. */
  closedError?: (reason: string) => WorkbenchErrorInfo;
  onNotice?: (topic: string, data: unknown) => void;
  /** A message the other side refused, or one we could not read. */
  onProtocolError?: (error: WorkbenchErrorInfo, callId?: string) => void;
  /** Every message heard (liveness). */
  onHeard?: (message: RpcMessage) => void;
  /** Refuse to send an input this deep (a deep payload can break a transport's serializer). */
  maxDepth?: number;
}

interface Pending {
  channel: string;
  cancelled: boolean;
  resolve(result: Result<unknown>): void;
  onEvent?: (event: unknown) => void;
  onAck?: () => void;
}

let clients = 0;

export class RpcClient<T extends ChannelTable> {
  private readonly pending = new Map<string, Pending>();
  private readonly idPrefix: string;
  private nextId = 1;
  private closedFor: string | null = null;

  constructor(
    private readonly port: Port,
    private readonly options: RpcClientOptions = {},
  ) {
    clients += 1;
    this.idPrefix = options.idPrefix ?? `c${clients.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    port.onMessage((raw) => this.receive(raw));
    port.onClose((reason) => this.settleAll(reason));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.closedFor !== null;
  }

  /** Channels of the calls in flight, by call id. */
  calls(): { callId: string; channel: string }[] {
    return [...this.pending].map(([callId, p]) => ({ callId, channel: p.channel }));
  }

  call<C extends keyof T & string>(
    channel: C,
    input: InputOf<T, C>,
    options: CallOptions<EventOf<T, C>> = {},
  ): Promise<Result<OutputOf<T, C>>> {
    return this.callUntyped(channel, input, options as CallOptions<unknown>) as Promise<Result<OutputOf<T, C>>>;
  }

  /** The same call for a channel name only known at run time (the CLI's generic commands). */
  callUntyped(channel: string, input: unknown, options: CallOptions<unknown> = {}): Promise<Result<unknown>> {
    if (this.closedFor !== null) return Promise.resolve({ ok: false, error: this.closedError(this.closedFor) });
    if (options.signal?.aborted) return Promise.resolve(fail('CANCELLED', 'Cancelled.'));
    const callId = options.callId ?? `${this.idPrefix}-${(this.nextId++).toString(36)}`;
    if (callId.length > MAX_CALL_ID_LENGTH) return Promise.resolve(fail('INVALID_INPUT', 'The call id is too long.'));
    if (this.pending.has(callId)) return Promise.resolve(fail('INVALID_INPUT', `Call id ${callId} is already in flight.`));
    if (this.options.maxDepth !== undefined) {
      const problem = payloadProblem(input, this.options.maxDepth);
      if (problem) return Promise.resolve(fail('INVALID_INPUT', `Invalid request for ${channel}: ${problem}.`));
    }
    return new Promise<Result<unknown>>((resolve) => {
      const entry: Pending = { channel, cancelled: false, resolve, onEvent: options.onEvent, onAck: options.onAck };
      const onAbort = () => {
        entry.cancelled = true;
        this.port.send({ type: 'cancel', callId });
      };
      entry.resolve = (result) => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      this.pending.set(callId, entry);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.port.send({ type: 'request', callId, channel, input });
    });
  }

  /** Settles a call now, without waiting for its response (the response, if it comes, is dropped). */
  abandon(callId: string, result: Result<unknown>): void {
    const entry = this.pending.get(callId);
    if (!entry) return;
    this.pending.delete(callId);
    entry.resolve(result);
  }

  ping(n: number): void {
    this.port.send({ type: 'ping', n });
  }

  /** Fails every pending call and closes the port. */
  close(reason = 'closed'): void {
    this.settleAll(reason);
    this.port.close(reason);
  }

  private closedError(reason: string): WorkbenchErrorInfo {
    return this.options.closedError?.(reason) ?? { code: 'IO_ERROR', message: `The connection closed (${reason}).` };
  }

  private settleAll(reason: string) {
    if (this.closedFor === null) this.closedFor = reason;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      entry.resolve(entry.cancelled ? fail('CANCELLED', 'Cancelled.') : { ok: false, error: this.closedError(reason) });
    }
  }

  private receive(raw: unknown) {
    const msg = parseMessage(raw);
    if (!msg) {
      this.options.onProtocolError?.({ code: 'INTERNAL', message: 'A malformed message arrived and was dropped.' });
      return;
    }
    this.options.onHeard?.(msg);
    switch (msg.type) {
      case 'ack':
        this.pending.get(msg.callId)?.onAck?.();
        break;
      case 'event':
        // Events still come while a cancelled call winds down (a batch job's last counts).
        this.pending.get(msg.callId)?.onEvent?.(msg.event);
        break;
      case 'response': {
        const entry = this.pending.get(msg.callId);
        if (!entry) return;
        this.pending.delete(msg.callId);
        entry.resolve(entry.cancelled ? fail('CANCELLED', 'Cancelled.') : msg.result);
        break;
      }
      case 'notice':
        this.options.onNotice?.(msg.topic, msg.data);
        break;
      case 'error':
        this.options.onProtocolError?.(msg.error, msg.callId);
        break;
      case 'ping':
        this.port.send({ type: 'pong', n: msg.n });
        break;
      default:
        break;
    }
  }
}
