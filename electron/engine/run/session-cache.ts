// onnxruntime sessions, created with the chosen provider and options and kept for reuse: the
// same model with the same options never loads twice. Sessions are released when their model is
// closed, and the least recently used ones when the cache holds more than it should.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileKind, notRegular } from '../../common/regular-file';
import { performance } from 'node:perf_hooks';
import type * as Ort from 'onnxruntime-node';
import {
  type ProviderChoice,
  type ProviderId,
  type ProviderStatus,
  PROVIDER_NAMES,
  chooseProvider,
} from '../../../shared/providers';
import { WorkbenchError } from '../../../shared/result';
import { exists, moveNew } from '../../common/fs';
import type { SessionOptions } from '../../../shared/run';
import { loadOrt } from '../ort';
import { threadsStartedBy } from './thread-priority';
import { explainRuntimeError, isExternalDataError, loadErrorContext } from '../runtime-check';

export interface CachedSession {
  session: Ort.InferenceSession;
  provider: ProviderChoice;
  createMs: number;
  cached: boolean;
  /** Profiling is on for this session (onnxruntime writes its profile when the session ends). */
  profiling: boolean;
  /** The threads onnxruntime started for its pool (Linux; [] elsewhere or when none were seen). */
  threads: number[];
  /** One-off sessions (profiling, saving the optimised model) are not cached: call this when done. */
  finish?: () => Promise<{ profilePath?: string }>;
  optimizedModelPath?: string;
}

interface Entry {
  /** The threads onnxruntime started for this session (Linux), kept first when a batch job lowers the rest. */
  threads: number[];
  key: string;
  path: string;
  session: Ort.InferenceSession;
  provider: ProviderChoice;
  createMs: number;
  profiling: boolean;
  bytes: number;
  lastUsed: number;
}

export interface SessionCacheOptions {
  /** Statuses of the providers on this machine (probed once, cached by the caller). */
  providerStatuses: () => Promise<ProviderStatus[]>;
  maxSessions?: number;
  /** Rough memory budget: the model files' sizes stand in for what a session holds. */
  maxBytes?: number;
  platform?: string;
}

/** What a caller gets of a session just made. */
const created = (e: Entry): CachedSession => ({
  session: e.session,
  provider: e.provider,
  createMs: e.createMs,
  cached: false,
  profiling: e.profiling,
  threads: e.threads,
});

const GRAPH_LEVELS = { disabled: 'disabled', basic: 'basic', extended: 'extended', all: 'all' } as const;

/** Where onnxruntime writes profiles (OWB_PROFILE_DIR, else a folder in the system's temp). */
export function profileDir(): string {
  return process.env.OWB_PROFILE_DIR ?? join(tmpdir(), 'onnx-workbench-profiles');
}

let oneOffCounter = 0;

function ortOptions(provider: ProviderId, options: SessionOptions): Ort.InferenceSession.SessionOptions {
  const o: Ort.InferenceSession.SessionOptions = { executionProviders: [provider] };
  if (options.intraOpThreads !== undefined) o.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined) o.interOpNumThreads = options.interOpThreads;
  if (options.graphOptimization) o.graphOptimizationLevel = GRAPH_LEVELS[options.graphOptimization];
  if (options.freeDimensionOverrides) o.freeDimensionOverrides = options.freeDimensionOverrides;
  if (options.profiling) o.enableProfiling = true;
  if (options.spinning === false) {
    o.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
  }
  return o;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Sessions being created, so that two requests for the same one share it. */
  private readonly creating = new Map<string, Promise<Entry>>();
  private readonly maxSessions: number;
  private readonly maxBytes: number;

  constructor(private readonly options: SessionCacheOptions) {
    this.maxSessions = options.maxSessions ?? 4;
    this.maxBytes = options.maxBytes ?? Math.floor(totalmem() / 4);
  }

  get size(): number {
    return this.entries.size;
  }

  async get(path: string, options: SessionOptions): Promise<CachedSession> {
    let s;
    try {
      s = await stat(path);
    } catch {
      throw new WorkbenchError('NOT_FOUND', `File not found: ${path}`);
    }
    // onnxruntime opens the path itself: a FIFO would hang it, a device never end.
    if (!s.isFile()) throw notRegular(path, fileKind(s), 'an ONNX model');
    const statuses = await this.options.providerStatuses();
    const choice = chooseProvider(options.provider, statuses, { platform: this.options.platform ?? process.platform });
    if (options.fallback === 'none' && choice.requested !== 'auto' && choice.used !== choice.requested) {
      const status = statuses.find((st) => st.id === choice.requested);
      throw new WorkbenchError(
        'PROVIDER_UNAVAILABLE',
        `${PROVIDER_NAMES[choice.requested]} is not ready here: ${status?.reason ?? 'it was not probed on this machine'}`,
      );
    }
    if (options.profiling || options.saveOptimizedModel) return this.oneOff(path, choice, options);
    // Whether a fallback was allowed does not change the session (a strict request that got here is not falling back).
    const key = JSON.stringify([path, s.size, s.mtimeMs, choice.used, { ...options, provider: undefined, fallback: undefined }]);
    const hit = this.entries.get(key);
    if (hit) {
      hit.lastUsed = performance.now();
      // The same session serves 'auto' and a named provider: the reason is this request's, unless
      // the provider could not load the model when the session was made.
      const provider = hit.provider.used === choice.used ? choice : { ...hit.provider, requested: choice.requested };
      return { session: hit.session, provider, createMs: 0, cached: true, profiling: hit.profiling, threads: hit.threads };
    }
    let pending = this.creating.get(key);
    if (!pending) {
      pending = this.create(key, path, s.size, choice, options).finally(() => this.creating.delete(key));
      this.creating.set(key, pending);
    }
    return created(await pending);
  }

  /**
   * A session only for this request: profiling (the profile is written when it ends) or saving
   * the optimised model (written while the session is created, to a temporary name, then linked
   * to the chosen name so that an existing file is never replaced).
   */
  private async oneOff(path: string, choice: ProviderChoice, options: SessionOptions): Promise<CachedSession> {
    const target = options.saveOptimizedModel;
    let tmp: string | undefined;
    if (target) {
      if (await exists(target)) throw new WorkbenchError('IO_ERROR', `${target} already exists; choose another name.`);
      tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp.onnx`);
    }
    let prefix: string | undefined;
    if (options.profiling) {
      await mkdir(profileDir(), { recursive: true });
      const stem = basename(path)
        .replace(/\.onnx$/i, '')
        .replace(/[^\w.-]+/g, '_');
      prefix = join(profileDir(), `${stem}-${process.pid}-${Date.now()}-${++oneOffCounter}`);
    }
    const entry = await this.create(
      '',
      path,
      0,
      choice,
      options,
      { optimizedModelFilePath: tmp, profileFilePrefix: prefix },
      false,
    );
    let optimizedModelPath: string | undefined;
    if (target && tmp) {
      try {
        await moveNew(tmp, target);
        optimizedModelPath = target;
      } catch (error) {
        await entry.session.release().catch(() => {});
        throw error;
      }
    }
    return {
      ...created(entry),
      optimizedModelPath,
      finish: async () => {
        let profilePath: string | undefined;
        if (prefix) {
          entry.session.endProfiling();
          const name = basename(prefix);
          const files = await readdir(profileDir()).catch(() => [] as string[]);
          const found = files.filter((f) => f.startsWith(`${name}_`) && f.endsWith('.json')).sort();
          if (found.length) profilePath = join(profileDir(), found[found.length - 1]);
        }
        await entry.session.release().catch(() => {});
        return { profilePath };
      },
    };
  }

  private async create(
    key: string,
    path: string,
    bytes: number,
    choice: ProviderChoice,
    options: SessionOptions,
    extra: Partial<Ort.InferenceSession.SessionOptions> = {},
    cache = true,
  ): Promise<Entry> {
    const ort = await loadOrt();
    if (cache) await this.makeRoom(bytes);
    const start = performance.now();
    let session: Ort.InferenceSession;
    let threads: number[] = [];
    let provider = choice;
    try {
      ({ value: session, threads } = await threadsStartedBy(() =>
        ort.InferenceSession.create(path, { ...ortOptions(choice.used, options), ...defined(extra) }),
      ));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const context = await loadErrorContext(path);
      if (choice.used === 'cpu') {
        const code = isExternalDataError(detail) ? 'EXTERNAL_DATA' : 'RUNTIME_ERROR';
        throw new WorkbenchError(code, `${path}: ${explainRuntimeError(detail, context)} (${detail.split('\n')[0]})`);
      }
      if (options.fallback === 'none')
        throw new WorkbenchError(
          'PROVIDER_UNAVAILABLE',
          `${PROVIDER_NAMES[choice.used]} could not load ${path}: ${explainRuntimeError(detail, context)}`,
        );
      // The provider is ready but could not take this model: run it on the CPU and say why.
      ({ value: session, threads } = await threadsStartedBy(() =>
        ort.InferenceSession.create(path, { ...ortOptions('cpu', options), ...defined(extra) }),
      ).catch(async (e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        throw new WorkbenchError('RUNTIME_ERROR', `${path}: ${explainRuntimeError(msg, context)}`);
      }));
      provider = {
        requested: choice.requested,
        used: 'cpu',
        fallbackReason: `${PROVIDER_NAMES[choice.used]} could not load this model (${explainRuntimeError(detail, context)}); using CPU instead`,
      };
    }
    const entry: Entry = {
      key,
      path,
      threads,
      session,
      provider,
      createMs: performance.now() - start,
      profiling: !!options.profiling,
      bytes,
      lastUsed: performance.now(),
    };
    if (cache) this.entries.set(key, entry);
    return entry;
  }

  /** Least recently used sessions go first when there are too many or they weigh too much. */
  private async makeRoom(incoming: number) {
    const total = () => [...this.entries.values()].reduce((s, e) => s + e.bytes, 0);
    while (this.entries.size > 0 && (this.entries.size >= this.maxSessions || total() + incoming > this.maxBytes)) {
      const oldest = [...this.entries.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0];
      await this.evict(oldest);
    }
  }

  private async evict(entry: Entry) {
    this.entries.delete(entry.key);
    await entry.session.release().catch(() => {});
  }

  /** The threads of every cached session's onnxruntime pool (Linux; see thread-priority.ts). */
  modelThreads(): number[] {
    return [...this.entries.values()].flatMap((e) => e.threads);
  }

  /** Releases the sessions of one model (closed in the UI), or all. */
  async release(path?: string): Promise<number> {
    const victims = [...this.entries.values()].filter((e) => path === undefined || e.path === path);
    for (const e of victims) await this.evict(e);
    return victims.length;
  }
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
