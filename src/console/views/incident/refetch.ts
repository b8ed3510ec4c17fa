/**
 * How the views follow the event stream: the first change refetches at once; changes during the
 * next `windowMs` are gathered into one more refetch at its end. A steady stream of changes thus
 * costs one refetch per window, and never postpones the first (a debounce would, for as long as
 * the stream goes on).
 */
export function coalescing(run: () => void, windowMs: number): { trigger: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  const close = () => {
    timer = undefined;
    if (!pending) return;
    pending = false;
    run();
    timer = setTimeout(close, windowMs);
  };
  return {
    trigger() {
      if (timer !== undefined) {
        pending = true;
        return;
      }
      run();
      timer = setTimeout(close, windowMs);
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      pending = false;
    },
  };
}
