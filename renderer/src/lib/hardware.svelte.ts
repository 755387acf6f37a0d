// What this machine offers for running models (CPU, memory, GPUs, execution providers), and the
// CUDA library install with its progress.
import type { Api } from '../../../shared/api';
import { chooseProvider, type HardwareReport, type ProviderStatus } from '../../../shared/providers';
import type { WorkbenchErrorInfo } from '../../../shared/result';

export interface CudaInstall {
  running: boolean;
  stage: string | null;
  message: string | null;
  installedTo: string | null;
  error: WorkbenchErrorInfo | null;
}

const idleInstall: CudaInstall = { running: false, stage: null, message: null, installedTo: null, error: null };

/** True when CUDA is unavailable only because its libraries have not been downloaded yet. */
export function needsCudaInstall(status: ProviderStatus | undefined): boolean {
  if (!status || status.id !== 'cuda' || status.status === 'ready') return false;
  return /install|ONNXRUNTIME_NODE_INSTALL|not downloaded/i.test(status.reason ?? '');
}

export class Hardware {
  readonly #api: Api;
  report = $state.raw<HardwareReport | null>(null);
  loading = $state(false);
  error = $state.raw<WorkbenchErrorInfo | null>(null);
  install = $state.raw<CudaInstall>(idleInstall);

  #request = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  /** What 'auto' picks on this machine, and why faster ones were passed over. */
  get auto(): ReturnType<typeof chooseProvider> | null {
    if (!this.report) return null;
    return chooseProvider('auto', this.report.providers, { platform: this.report.platform });
  }

  get cudaNeedsInstall(): boolean {
    return needsCudaInstall(this.report?.providers.find((p) => p.id === 'cuda'));
  }

  async detect(refresh = false): Promise<void> {
    const mine = ++this.#request;
    this.loading = true;
    const result = await this.#api.call('hardware.detect', refresh ? { refresh } : {});
    if (mine !== this.#request) return;
    this.loading = false;
    if (result.ok) {
      this.report = result.value;
      this.error = null;
    } else this.error = result.error;
  }

  async installCuda(): Promise<void> {
    if (this.install.running) return;
    this.install = { ...idleInstall, running: true, message: 'Starting…' };
    const result = await this.#api.call(
      'providers.installCuda',
      {},
      { onEvent: (e) => (this.install = { ...this.install, stage: e.stage, message: e.message }) },
    );
    if (result.ok) {
      this.install = { ...idleInstall, installedTo: result.value.installedTo };
      await this.detect(true); // the providers table must now say CUDA is ready (or why not)
    } else {
      this.install = { ...idleInstall, error: result.error };
    }
  }
}
