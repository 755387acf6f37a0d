// The sample models offered on the start screen (copied into resources/samples at build time).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SampleModel } from '../../shared/contract';

interface CatalogEntry {
  id: string;
  name: string;
  description: string;
  file: string;
  size: number;
  source: string;
}

export function sampleCatalog(resourcesDir: string): () => Promise<SampleModel[]> {
  const dir = join(resourcesDir, 'samples');
  let cached: Promise<SampleModel[]> | null = null;
  return () => {
    cached ??= readFile(join(dir, 'samples.json'), 'utf8')
      .then((text) => (JSON.parse(text) as CatalogEntry[]).map(({ file, ...rest }) => ({ ...rest, path: join(dir, file) })))
      .catch(() => []);
    return cached;
  };
}
