// Renders resources/icon.svg to the 1024×1024 resources/icon.png electron-builder makes every
// platform's icon from (.icns, .ico, Linux sizes). Run after editing the SVG:
//   npx tsx scripts/make-icon.ts
import { join } from 'node:path';
import sharp from 'sharp';

const resources = join(import.meta.dirname, '..', 'resources');
const info = await sharp(join(resources, 'icon.svg'), { density: 72 })
  .resize(1024, 1024)
  .png({ compressionLevel: 9, palette: true, quality: 90 })
  .toFile(join(resources, 'icon.png'));
console.log(`icon: ${info.width}x${info.height}, ${info.size} bytes → resources/icon.png`);
