import { expect, test } from "bun:test";
import { createTokenBucket } from "./token-bucket.ts";

test("the token bucket allows its burst at once, then paces requests at its rate", async () => {
  const bucket = createTokenBucket({ capacity: 2, perSecond: 20 });
  const started = performance.now();
  await bucket.take();
  await bucket.take();
  expect(performance.now() - started).toBeLessThan(20);
  for (let i = 0; i < 4; i += 1) await bucket.take();
  const elapsed = performance.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(190);
  expect(elapsed).toBeLessThan(600);
});
