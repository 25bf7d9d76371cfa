import { expect, test } from "bun:test";
import * as storage from "@repo/cassandra";
import { DAY_US, INTERVALS, MINUTE_US } from "./time.ts";

test("the bar intervals are made of the storage's minute and day (a difference does not compile)", () => {
  const units: [typeof storage.MINUTE_US, typeof storage.DAY_US] = [MINUTE_US, DAY_US];
  expect(units).toEqual([storage.MINUTE_US, storage.DAY_US]);
  expect([INTERVALS["1m"], INTERVALS["1d"]]).toEqual([storage.MINUTE_US, storage.DAY_US]);
});
