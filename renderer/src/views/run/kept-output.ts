// One output of a run the engine keeps: what the views that read its values on demand are given.
import type { Api } from '../../../../shared/api';

export interface KeptOutput {
  api: Api;
  runId: string;
  name: string;
  dims: number[];
}
