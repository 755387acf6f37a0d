// results.csv and results.jsonl written as a job goes, for a job that starts from nothing: each
// listed file has a number in listing order, its row goes out once every file before it has
// one, so the files are already sorted when the job ends and nothing is rebuilt. A row is
// written after the journal holds its record, so the files never say more than the journal.
// Rows reach the file within a moment (one write per burst of rows; made durable at the end),
// so users and scripts can watch results.csv fill. A job resumed over earlier results, an input
// list (its own order) or coco.json still rebuild from the journal at the end (outputs.ts).
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchItemRecord, BatchOutputKind } from '../../../shared/batch';
import { comparePaths } from './journal';
import { CSV_COLUMNS, JOB_FILES, csvRow, jsonlRow } from './outputs';
import { writeFailed } from './write-errors';

/** The per-job files written live. */
export const LIVE_KINDS = ['csv', 'jsonl'] as const;
type LiveKind = (typeof LIVE_KINDS)[number];

/** One results file, appended to: texts that arrive while a write runs share the next one. */
class LiveFile {
  private pending: string[] = [];
  private writing: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  append(text: string) {
    this.pending.push(text);
    this.writing ??= this.drain();
  }

  private async drain() {
    while (this.pending.length && !this.failure) {
      const text = this.pending.join('');
      this.pending = [];
      try {
        await this.fh.write(text);
      } catch (error) {
        this.failure = error;
      }
    }
    this.writing = null;
  }

  /** Waits for the rows given so far to be written. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    await this.settled();
    try {
      if (this.failure) throw this.failure;
      await this.fh.sync();
    } catch (error) {
      throw writeFailed(error, this.path);
    } finally {
      await this.fh.close().catch(() => {});
    }
  }
}

export class LiveResults {
  /** Rows that came before their turn, by listing number. */
  private readonly waiting = new Map<number, BatchItemRecord>();
  /** Listing number of each file taken and not yet settled. */
  private readonly numbers = new Map<string, number>();
  private taken = 0;
  private next = 0;
  private last: string | null = null;
  /** A row came out of listing order (the listing and the sort disagree): rebuild at the end. */
  private unsorted = false;

  private readonly files = new Map<LiveKind, LiveFile>();

  /**
   * Creates (or empties, when the job may replace them) the live files of `write` in `folder`.
   * Call it before the first add.
   */
  async open(folder: string, write: readonly BatchOutputKind[]): Promise<void> {
    for (const k of LIVE_KINDS.filter((kind) => write.includes(kind))) {
      const path = join(folder, JOB_FILES[k]);
      let fh: FileHandle;
      try {
        // Never through a link (a results.csv symlink would have its target truncated): the old
        // rebuild-and-rename replaced a link, so does this refusal.
        fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), 0o644);
      } catch (error) {
        throw writeFailed(error, path);
      }
      this.files.set(k, new LiveFile(path, fh));
    }
    this.files.get('csv')?.append(`${CSV_COLUMNS.join(',')}\r\n`);
  }

  /** A file was taken from the listing: its row goes out after those of the files taken before it. */
  take(rel: string) {
    this.numbers.set(rel, this.taken++);
  }

  /** A file's record is in the journal (call after open). */
  add(record: BatchItemRecord) {
    const n = this.numbers.get(record.file);
    if (n === undefined) return;
    this.numbers.delete(record.file);
    this.waiting.set(n, record);
    this.release();
  }

  private release() {
    for (;;) {
      const r = this.waiting.get(this.next);
      if (!r) return;
      this.waiting.delete(this.next);
      this.next += 1;
      this.write(r);
    }
  }

  private write(r: BatchItemRecord) {
    if (this.last !== null && comparePaths(this.last, r.file) >= 0) this.unsorted = true;
    this.last = r.file;
    this.files.get('csv')?.append(csvRow(r));
    this.files.get('jsonl')?.append(jsonlRow(r));
  }

  /** Waits for the rows put out so far to reach the files (not their disk). */
  async settle(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.settled()));
  }

  /**
   * Writes the rows still waiting (files before them never settled), makes the files durable
   * and closes them. Returns false when the rows came out of the sort order (rebuild them).
   */
  async close(): Promise<boolean> {
    for (const n of [...this.waiting.keys()].sort((a, b) => a - b)) this.write(this.waiting.get(n)!);
    this.waiting.clear();
    const results = await Promise.allSettled([...this.files.values()].map((f) => f.close()));
    this.files.clear();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return !this.unsorted;
  }
}
