/**
 * Events per second over the last `windowSeconds` whole seconds (one bucket per second).
 *
 * @example
 *   const meter = createRateMeter();
 *   meter.mark(3);
 *   meter.perSecond(); // e.g. 0.3 after a second
 */
export function createRateMeter(windowSeconds = 10, now: () => number = Date.now) {
  const buckets = new Float64Array(windowSeconds);
  let current = Math.floor(now() / 1000);
  const advance = () => {
    const second = Math.floor(now() / 1000);
    const steps = Math.min(second - current, windowSeconds);
    for (let i = 1; i <= steps; i += 1) buckets[(current + i) % windowSeconds] = 0;
    if (second > current) current = second;
  };
  return {
    mark(count = 1) {
      advance();
      buckets[current % windowSeconds] = (buckets[current % windowSeconds] ?? 0) + count;
    },
    /** Average over the last full seconds (the running second is left out). */
    perSecond(): number {
      advance();
      let sum = 0;
      for (let i = 1; i < windowSeconds; i += 1)
        sum += buckets[(current - i + windowSeconds) % windowSeconds] ?? 0;
      return Math.round((sum / (windowSeconds - 1)) * 10) / 10;
    },
  };
}
