// Probing providers for real keeps onnxruntime's native log lines (a provider library that fails
// to load) out of stderr, in a fresh process as the engine runs it; OWB_VERBOSE=1 lets them through.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../../shared/providers';
import { ortLogLevel } from '../../electron/engine/ort';
import { ROOT } from '../helpers';

const SCRIPT = `import('./electron/engine/providers/probe.ts').then(async (m) => {
  process.stdout.write(JSON.stringify(await m.probeProviders()));
});`;

function probeInChild(env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, OWB_VERBOSE: undefined, ...env },
  });
  return { code: r.status, statuses: JSON.parse(r.stdout) as ProviderStatus[], stderr: r.stderr };
}

describe('provider probes and stderr', () => {
  it("keep onnxruntime's and Dawn's load errors out of stderr; OWB_VERBOSE=1 shows onnxruntime's", () => {
    const quiet = probeInChild({});
    expect(quiet.code).toBe(0);
    expect(quiet.statuses.find((s) => s.id === 'cpu')?.status).toBe('ready');
    expect(quiet.stderr).not.toMatch(/onnxruntime|Failed to load library|Couldn't load Vulkan/);

    const verbose = probeInChild({ OWB_VERBOSE: '1' });
    expect(verbose.code).toBe(0);
    // The same answers either way.
    expect(verbose.statuses.map((s) => [s.id, s.status, s.reason])).toEqual(
      quiet.statuses.map((s) => [s.id, s.status, s.reason]),
    );
    // Where a CUDA session was tried and its library failed to load, onnxruntime said so (verbose only).
    const cuda = quiet.statuses.find((s) => s.id === 'cuda');
    if (cuda?.status === 'unavailable' && /provider librar|not found|NVIDIA/.test(cuda.reason ?? ''))
      expect(verbose.stderr).toMatch(/\[E:onnxruntime/);
  });

  it('sets the level from OWB_VERBOSE', () => {
    expect(ortLogLevel({})).toBe('fatal');
    expect(ortLogLevel({ OWB_VERBOSE: '1' })).toBe('warning');
  });
});
