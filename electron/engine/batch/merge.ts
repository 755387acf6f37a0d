// `batch merge DIR`: one results.csv / results.jsonl / coco.json at the top of an output folder
// from the journals of all the shards that wrote into it. Each shard's journal gives the latest
// record of each of its files in path order; the shards' streams are merged by path (a heap), so
// every input file appears once, at its last state, without holding the records in memory. The
// report says which shards are missing or did not finish; the caller exits non-zero for those.
import { join } from 'node:path';
import type { BatchItemRecord, BatchMergeReport, BatchOutputKind, MergedShardState } from '../../../shared/batch';
import { WorkbenchError } from '../../../shared/result';
import { describeShard } from '../../../shared/shard';
import { comparePaths, latestItems } from './journal';
import { JOURNAL_FILE, STATE_DIR, writeJobFiles } from './outputs';
import { type ShardFolder, readShardFolders, shardsRoot } from './shard-state';

interface Head {
  record: BatchItemRecord;
  source: AsyncIterator<BatchItemRecord>;
}

/** A min-heap of the shards' next records, by path. */
class RecordHeap {
  private readonly items: Head[] = [];
  get size() {
    return this.items.length;
  }
  private less(a: number, b: number) {
    return comparePaths(this.items[a].record.file, this.items[b].record.file) < 0;
  }
  private swap(a: number, b: number) {
    [this.items[a], this.items[b]] = [this.items[b], this.items[a]];
  }
  push(h: Head) {
    this.items.push(h);
    for (let i = this.items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): Head | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length && last) {
      this.items[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && this.less(l, m)) m = l;
        if (r < this.items.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** The records of several path-sorted streams in one path order; a file in two streams once (its latest record). */
export async function* mergeByPath(streams: AsyncIterable<BatchItemRecord>[]): AsyncGenerator<BatchItemRecord> {
  const heap = new RecordHeap();
  const advance = async (source: AsyncIterator<BatchItemRecord>) => {
    const next = await source.next();
    if (!next.done) heap.push({ record: next.value, source });
  };
  for (const s of streams) await advance(s[Symbol.asyncIterator]());
  let pending: BatchItemRecord | null = null;
  while (heap.size) {
    const { record, source } = heap.pop()!;
    await advance(source);
    if (pending && pending.file === record.file) {
      if (record.at > pending.at) pending = record;
      continue;
    }
    if (pending) yield pending;
    pending = record;
  }
  if (pending) yield pending;
}

function problemOf(spec: { index: number; count: number }, state: MergedShardState, error?: string): string {
  const name = describeShard(spec);
  switch (state) {
    case 'missing':
      return `${name} has not run`;
    case 'running':
      return `${name} has not finished (it is still running, or it stopped before the end: run it again)`;
    case 'cancelled':
      return `${name} was cancelled before the end: run it again to finish it`;
    case 'failed':
      return `${name} stopped: ${error ?? 'it failed'}`;
    case 'other-job':
      return `${name} holds the results of another model, recipe or per-image outputs: run it again with this job`;
    case 'finished':
      return '';
  }
}

/** Merges the shards of the job in `outputFolder` into its top-level results files. */
export async function mergeShards(outputFolder: string): Promise<BatchMergeReport> {
  const folders = await readShardFolders(outputFolder);
  if (!folders.length)
    throw new WorkbenchError(
      'NOT_FOUND',
      `${outputFolder} holds no shards of a batch job (${shardsRoot(outputFolder)} is missing or empty): run the job with --shard I/N into it first`,
    );
  const counts = [...new Set(folders.map((f) => f.spec.count))];
  if (counts.length > 1)
    throw new WorkbenchError(
      'INVALID_INPUT',
      `${outputFolder} holds shards of jobs split ${counts.join(' and ')} ways; they cannot be merged into one result (remove the folders of the split you do not want from ${shardsRoot(outputFolder)})`,
    );
  const count = counts[0];
  // The job is the one whose shard ran last; shards of another model or recipe are not merged.
  const latest = folders
    .filter((f) => f.state)
    .sort((a, b) => (a.state!.startedAt < b.state!.startedAt ? 1 : a.state!.startedAt > b.state!.startedAt ? -1 : 0))[0];
  const key = latest?.state?.key;
  const byIndex = new Map<number, ShardFolder>(folders.map((f) => [f.spec.index, f]));
  const shards: BatchMergeReport['shards'] = [];
  const problems: string[] = [];
  const streams: AsyncIterable<BatchItemRecord>[] = [];
  const write = new Set<BatchOutputKind>();
  for (let index = 0; index < count; index++) {
    const folder = byIndex.get(index);
    const s = folder?.state;
    const state: MergedShardState = !folder ? 'missing' : !s ? 'running' : s.key !== key ? 'other-job' : s.state;
    shards.push({ index, state, ...(s && state !== 'other-job' ? { ok: s.ok, failed: s.failed } : {}) });
    if (state !== 'finished') problems.push(problemOf({ index, count }, state, s?.error));
    if (folder && key && state !== 'other-job') {
      streams.push(latestItemsIfAny(join(folder.dir, JOURNAL_FILE), key));
      for (const k of s?.write ?? []) write.add(k);
    }
  }
  let files = 0;
  let ok = 0;
  let failed = 0;
  async function* counted(): AsyncGenerator<BatchItemRecord> {
    for await (const r of mergeByPath(streams)) {
      files += 1;
      if (r.status === 'ok') ok += 1;
      else failed += 1;
      yield r;
    }
  }
  const kinds = write.size ? [...write] : (['csv', 'jsonl'] as BatchOutputKind[]);
  const written = await writeJobFiles(outputFolder, counted(), kinds, join(outputFolder, STATE_DIR));
  return { outputFolder, count, shards, files, ok, failed, written, problems };
}

/** A shard's latest records; none when its journal was never created (it stopped before its first file). */
async function* latestItemsIfAny(path: string, key: string): AsyncGenerator<BatchItemRecord> {
  try {
    yield* latestItems(path, key);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
