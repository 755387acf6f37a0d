// Path text helpers for display. The renderer never touches the file system; these only split
// and join strings the main side gave us, for POSIX and Windows paths alike.

function separatorOf(path: string): '/' | '\\' {
  return /^[A-Za-z]:[\\/]|^\\\\/.test(path) && !path.includes('/') ? '\\' : '/';
}

export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.length > 0 ? parts[parts.length - 1] : path;
}

export function dirName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (i <= 0) return path.slice(0, i + 1) || path;
  const dir = path.slice(0, i);
  return /^[A-Za-z]:$/.test(dir) ? dir + '\\' : dir;
}

export function joinPath(dir: string, name: string): string {
  const sep = separatorOf(dir);
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + name : dir + sep + name;
}

/** Breadcrumb segments of an absolute path: each with its label and the path up to it. */
export function pathSegments(path: string): { label: string; path: string }[] {
  const sep = separatorOf(path);
  const segments: { label: string; path: string }[] = [];
  let rest = path;
  let prefix = '';
  const drive = /^([A-Za-z]:)[\\/]?/.exec(path);
  if (drive) {
    prefix = drive[1] + '\\';
    segments.push({ label: drive[1], path: prefix });
    rest = path.slice(drive[0].length);
  } else if (path.startsWith('\\\\')) {
    prefix = '\\\\';
    rest = path.slice(2);
  } else if (path.startsWith('/')) {
    prefix = '/';
    segments.push({ label: '/', path: '/' });
    rest = path.slice(1);
  }
  let current = prefix;
  for (const part of rest.split(/[\\/]/).filter(Boolean)) {
    current = current === prefix ? prefix + part : current + sep + part;
    segments.push({ label: part, path: current });
  }
  return segments;
}

/** A file name's lower-case extension with its dot, or "". */
export function extensionOf(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/** The name without the extension, for default export file names. */
export function stem(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}
