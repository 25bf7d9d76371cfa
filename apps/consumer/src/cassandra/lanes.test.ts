import { expect, test } from "bun:test";
import { createLanes } from "./lanes.ts";

/** A task that runs until `release()` is called, recording its start. */
function gate(started: string[], name: string) {
  let release = () => {};
  const done = new Promise<string>((resolve) => {
    release = () => resolve(name);
  });
  return {
    task: () => {
      started.push(name);
      return done;
    },
    release: () => release(),
  };
}

test("never more than the limit at once, and a waiting urgent task starts before waiting bulk ones", async () => {
  const lanes = createLanes(2);
  const started: string[] = [];
  const gates = ["b1", "b2", "b3", "b4", "u1", "u2"].map((name) => gate(started, name));
  const results = [
    lanes.bulk(gates[0]?.task as () => Promise<string>),
    lanes.bulk(gates[1]?.task as () => Promise<string>),
    lanes.bulk(gates[2]?.task as () => Promise<string>),
    lanes.bulk(gates[3]?.task as () => Promise<string>),
    lanes.urgent(gates[4]?.task as () => Promise<string>),
    lanes.urgent(gates[5]?.task as () => Promise<string>),
  ];
  expect(started).toEqual(["b1", "b2"]);
  expect(lanes.active()).toBe(2);
  expect(lanes.waiting()).toBe(4);
  gates[0]?.release();
  await results[0];
  await Bun.sleep(0);
  expect(started).toEqual(["b1", "b2", "u1"]);
  gates[1]?.release();
  await results[1];
  await Bun.sleep(0);
  expect(started).toEqual(["b1", "b2", "u1", "u2"]);
  for (const g of gates) g.release();
  expect(await Promise.all(results)).toEqual(["b1", "b2", "b3", "b4", "u1", "u2"]);
  expect(started).toEqual(["b1", "b2", "u1", "u2", "b3", "b4"]);
  expect(lanes.active()).toBe(0);
});

test("a task that throws or rejects frees its slot and rejects its caller", async () => {
  const lanes = createLanes(1);
  const [thrown, rejected, after] = await Promise.allSettled([
    lanes.urgent(() => {
      throw new Error("sync");
    }),
    lanes.bulk(() => Promise.reject(new Error("async"))),
    lanes.bulk(async () => "ran"),
  ]);
  expect(thrown).toEqual({ status: "rejected", reason: new Error("sync") });
  expect(rejected).toEqual({ status: "rejected", reason: new Error("async") });
  expect(after).toEqual({ status: "fulfilled", value: "ran" });
  expect(lanes.active()).toBe(0);
});
