// The journal of a batch job: one JSON line per finished file, in the output folder. Lines are
// appended and made durable with fdatasync, several at a time (group commit: lines finished while
// a sync runs share the next one), so a crash loses at most the files in flight. A line torn by a
// crash mid-write is cut off when the journal is opened again.
import { createReadStream, writeSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { BatchItemRecord, BatchItemStatus, BatchJournalRecord } from '../../../shared/batch';
import { WorkbenchError } from '../../../shared/result';
import { writeFailed } from './write-errors';

/** The latest word of the journal on one file. */
export interface JournalEntry {
  /** started: a run began with this file and no outcome followed (the engine stopped). */
  status: BatchItemStatus | 'started';
  key: string;
  /** Failed because the engine process stopped while it ran (not retried by the automatic restart). */
  crashed?: boolean;
  /** Why it failed (the list of failures of a resumed job includes the earlier ones). */
  error?: string;
}

function parseLine(line: string): BatchJournalRecord | null {
  if (!line) return null;
  try {
    const value = JSON.parse(line) as BatchJournalRecord;
    return value && typeof value === 'object' && typeof value.type === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Every whole record of a journal file, in order; damaged lines are left out. */
export async function* readJournal(path: string): AsyncGenerator<BatchJournalRecord> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const record = parseLine(line);
      if (record) yield record;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Listing order: path segments compared one by one (a folder's files sort among its subfolders). */
export function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k] < y[k] ? -1 : 1;
  return x.length - y.length;
}

/** Each line of a file with its byte offset and length (newline excluded). */
async function* linesWithOffsets(path: string): AsyncGenerator<{ line: Buffer; offset: number }> {
  let pending: Buffer = Buffer.alloc(0);
  let base = 0;
  for await (const chunk of createReadStream(path)) {
    const data = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
      yield { line: data.subarray(start, nl), offset: base + start };
      start = nl + 1;
    }
    pending = data.subarray(start);
    base += start;
  }
}

/**
 * The latest item record of each file for one key, sorted by file in listing order. Only where
 * each record lies is kept in memory (two numbers per file), and the records are read back one
 * by one: a journal of a million files is rebuilt into results without holding them all.
 */
export async function* latestItems(path: string, key: string): AsyncGenerator<BatchItemRecord> {
  const where = new Map<string, [number, number]>();
  for await (const { line, offset } of linesWithOffsets(path)) {
    const r = parseLine(line.toString('utf8'));
    if (r?.type === 'item' && r.key === key) where.set(r.file, [offset, line.length]);
  }
  const files = [...where.keys()].sort(comparePaths);
  const fh = await open(path, 'r');
  try {
    let buf = Buffer.alloc(4096);
    for (const file of files) {
      const [offset, length] = where.get(file)!;
      if (buf.length < length) buf = Buffer.alloc(length * 2);
      await fh.read(buf, 0, length, offset);
      const r = parseLine(buf.toString('utf8', 0, length));
      if (r?.type === 'item') yield r;
    }
  } finally {
    await fh.close();
  }
}

/** Cuts a torn last line (no newline at the end) so that the next append starts a fresh line. */
async function cutTornLine(fh: FileHandle): Promise<void> {
  const { size } = await fh.stat();
  if (size === 0) return;
  const chunk = 64 * 1024;
  let end = size;
  const buf = Buffer.alloc(chunk);
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const at = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) {
      await fh.truncate(start + at + 1);
      return;
    }
    end = start;
  }
  await fh.truncate(0);
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class BatchJournal {
  /** The latest word on each file, from the journal as it was opened plus what was appended since. */
  readonly entries = new Map<string, JournalEntry>();
  /** Every model+recipe key of item records: more than one means another job wrote here. */
  readonly keys = new Set<string>();
  /** The files of the last run started (runs go one at a time: the one running if the engine died). */
  lastStarted: string[] = [];
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  private failure: WorkbenchError | null = null;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Opens (or creates) the journal and reads what earlier runs recorded. */
  static async open(path: string): Promise<BatchJournal> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'a+');
      await cutTornLine(fh);
    } catch (error) {
      throw writeFailed(error, path);
    }
    const journal = new BatchJournal(path, fh);
    const exists = await stat(path).then((s) => s.size > 0);
    if (exists) for await (const r of readJournal(path)) journal.note(r);
    return journal;
  }

  private note(r: BatchJournalRecord) {
    if (r.type === 'item') {
      const entry: JournalEntry = { status: r.status, key: r.key };
      if (r.error?.code === 'ENGINE_CRASHED') entry.crashed = true;
      if (r.status === 'failed') entry.error = r.error?.message ?? 'failed';
      this.entries.set(r.file, entry);
      this.keys.add(r.key);
    } else if (r.type === 'started') {
      for (const file of r.files) this.entries.set(file, { status: 'started', key: r.key });
      this.lastStarted = r.files;
    }
  }

  /** The first write failure, if any: the job must stop. */
  get error(): WorkbenchError | null {
    return this.failure;
  }

  /** Appends a record; resolves once it is on disk (shared fdatasync), rejects with WRITE_FAILED. */
  append(record: BatchJournalRecord): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new WorkbenchError('INTERNAL', 'The batch journal is closed.'));
    this.note(record);
    this.pending.push(`${JSON.stringify(record)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  /**
   * Writes a record at once, without waiting for a sync: it reaches the page cache before a run
   * starts, so it survives the engine process dying in that run (the next sync makes it durable).
   */
  writeNow(record: BatchJournalRecord): void {
    if (this.failure) throw this.failure;
    this.note(record);
    try {
      writeSync(this.fh.fd, `${JSON.stringify(record)}\n`);
    } catch (error) {
      this.failure = writeFailed(error, this.path);
      throw this.failure;
    }
  }

  private async flush(): Promise<void> {
    while (this.pending.length && !this.failure) {
      const text = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        const bytes = Buffer.from(text, 'utf8');
        let off = 0;
        while (off < bytes.length) off += (await this.fh.write(bytes, off, bytes.length - off)).bytesWritten;
        await this.fh.datasync();
        for (const w of waiters) w.resolve();
      } catch (error) {
        this.failure = writeFailed(error, this.path);
        for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
        this.waiters = [];
        this.pending = [];
      }
    }
    this.flushing = null;
  }

  /** Waits for every append made so far. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    // Lines written by writeNow since the last append are made durable too.
    if (!this.failure) await this.fh.datasync().catch(() => {});
    await this.fh.close().catch(() => {});
  }
}
