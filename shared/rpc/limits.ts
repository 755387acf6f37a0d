// Limits every request is held to before any handler sees it: nesting depth and node count of its
// payload (a 2,000-level object must be a validation error, not a stack overflow or a silently
// dropped message), and how many calls may be in flight per connection and in total.
import { groupDigits } from '../format';

export const MAX_PAYLOAD_DEPTH = 64;
export const MAX_PAYLOAD_NODES = 1_000_000;

/** Why a payload is refused (too deep, too many values), or null when it is within the limits. */
export function payloadProblem(value: unknown, maxDepth = MAX_PAYLOAD_DEPTH, maxNodes = MAX_PAYLOAD_NODES): string | null {
  // Iterative: a recursive walk is exactly what a deep payload would overflow.
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > maxNodes) return `it holds more than ${groupDigits(maxNodes)} values`;
    if (!v || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    if (depth >= maxDepth) return `it is nested deeper than ${maxDepth} levels`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return null;
}

/** A count of calls in flight shared by several connections (a total cap). */
export class InFlightBudget {
  private used = 0;
  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  tryAcquire(): boolean {
    if (this.used >= this.limit) return false;
    this.used += 1;
    return true;
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
  }
}
