/**
 * One concurrency limit with two lanes: a waiting `urgent` task starts before any waiting `bulk`
 * task. The consumer's tick rows are bulk; the steps every batch waits for in poll order (horizon
 * reads, bars, latest quotes, minute read-backs) are urgent, so they do not queue behind the tick
 * writes of the batches polled after them.
 *
 * @example
 *   const lanes = createLanes(32);
 *   await Promise.all([lanes.bulk(() => writeTicks()), lanes.urgent(() => writeBars())]);
 */
export function createLanes(concurrency: number) {
  let active = 0;
  const urgent: (() => void)[] = [];
  const bulk: (() => void)[] = [];
  const next = () => {
    while (active < concurrency) {
      const start = urgent.shift() ?? bulk.shift();
      if (!start) return;
      active += 1;
      start();
    }
  };
  const run =
    (queue: (() => void)[]) =>
    <T>(task: () => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        queue.push(() => {
          let running: Promise<T>;
          try {
            running = task();
          } catch (error) {
            running = Promise.reject(error);
          }
          running.then(resolve, reject).finally(() => {
            active -= 1;
            next();
          });
        });
        next();
      });
  return {
    urgent: run(urgent),
    bulk: run(bulk),
    /** Tasks running now. */
    active: () => active,
    /** Tasks waiting for a slot, in both lanes. */
    waiting: () => urgent.length + bulk.length,
  };
}
