// "Go to" in the value pager: a flat index ("123456") or one index per dim ("0, 2, 5, 7" or
// "[0,2,5,7]"), checked against the tensor's dims, in words when it does not fit.

export function parseTensorIndex(text: string, dims: readonly number[]): { index: number } | { error: string } {
  const parts = text
    .trim()
    .replace(/^[[(]|[\])]$/g, '')
    .split(/[\s,]+/)
    .filter((p) => p !== '');
  if (parts.length === 0) return { error: 'Type an index, e.g. 42 or 0, 3, 7.' };
  const numbers = parts.map(Number);
  if (numbers.some((n) => !Number.isInteger(n) || n < 0))
    return { error: `'${text.trim()}' is not an index: use whole numbers ≥ 0.` };
  const total = dims.reduce((a, b) => a * b, 1);
  if (numbers.length === 1) {
    const [index] = numbers;
    return index < total ? { index } : { error: `${index} is past the last value (${total - 1}).` };
  }
  if (numbers.length !== dims.length) return { error: `Give 1 index or ${dims.length} (one per dim of [${dims.join(', ')}]).` };
  let index = 0;
  for (let d = 0; d < dims.length; d++) {
    if (numbers[d] >= dims[d]) return { error: `Index ${numbers[d]} is out of range for dim ${d} (size ${dims[d]}).` };
    index = index * dims[d] + numbers[d];
  }
  return { index };
}

/** The per-dim position of a flat index: 17 in [2, 3, 4] → [1, 1, 1]. */
export function unflattenIndex(index: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(0);
  let rest = index;
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = rest % dims[d];
    rest = Math.floor(rest / dims[d]);
  }
  return out;
}
