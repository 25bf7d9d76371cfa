/**
 * Runs `task` over `items` with at most `limit` in flight, and resolves with the results in input
 * order. After the first failure no further task starts; it rejects with that failure once every
 * started task settled (so a caller that retries never overlaps the failed round).
 *
 * @example
 *   const perDay = await boundedAll(days, 32, (day) => client.execute(query, [symbol, day]));
 */
export async function boundedAll<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failure;
  return results;
}
