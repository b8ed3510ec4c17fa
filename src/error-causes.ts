/** An error and the causes it wraps (`cause`, then its `cause`...), the outermost first, at most five deep. */
export function errorCauses(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current && chain.length < 5) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}
