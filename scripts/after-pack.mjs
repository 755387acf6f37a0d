// electron-builder afterPack hook: refuses a package whose engine could not load its native
// code. The usual cause is building for another OS than the one npm installed for (sharp's
// binaries come from per-OS optional packages), which would otherwise ship silently broken.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import builder from 'electron-builder';

const PLATFORMS = ['linux', 'win32', 'darwin'];

/** The folders that must be there, and the ones that must not, for one platform/arch. */
export function nativeLayout(platform, arch) {
  const ort = 'node_modules/onnxruntime-node/bin/napi-v6';
  return {
    required: [`${ort}/${platform}/${arch}/onnxruntime_binding.node`, `node_modules/@img/sharp-${platform}-${arch}`],
    forbidden: PLATFORMS.filter((p) => p !== platform).map((p) => `${ort}/${p}`),
  };
}

function resourcesDir(context) {
  if (context.electronPlatformName !== 'darwin' && context.electronPlatformName !== 'mas')
    return join(context.appOutDir, 'resources');
  const app = readdirSync(context.appOutDir).find((name) => name.endsWith('.app'));
  return join(context.appOutDir, app ?? '', 'Contents', 'Resources');
}

export async function afterPack(context) {
  const platform = context.electronPlatformName === 'mas' ? 'darwin' : context.electronPlatformName;
  const arch = builder.Arch[context.arch];
  const unpacked = join(resourcesDir(context), 'app.asar.unpacked');
  const { required, forbidden } = nativeLayout(platform, arch);
  const missing = required.filter((path) => !existsSync(join(unpacked, path)));
  if (missing.length > 0) {
    throw new Error(
      `The ${platform}-${arch} package lacks native files the engine needs: ${missing.join(', ')} (looked in ${unpacked}). ` +
        `Build each platform on its own OS after "npm ci" there, or install that platform's packages first, e.g. ` +
        `npm install --os=${platform} --cpu=${arch} sharp.`,
    );
  }
  const extra = forbidden.filter((path) => existsSync(join(unpacked, path)));
  if (extra.length > 0)
    throw new Error(`The ${platform}-${arch} package contains other platforms' binaries: ${extra.join(', ')}.`);
}
