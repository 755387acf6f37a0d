// Paths that come from a renderer: absolute only, so no request is resolved against some
// working directory of the main side.
import { z } from 'zod';

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

export const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(isAbsolutePath, { message: 'must be an absolute path' })
  .refine((p) => !p.includes('\0'), { message: 'must not contain NUL' });
