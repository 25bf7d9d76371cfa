import { describe, expect, test } from "bun:test";
import { diffAvro, render } from "./diff.ts";

const v1 = {
  type: "record",
  name: "Tick",
  namespace: "market",
  fields: [
    { name: "symbol", type: "string" },
    { name: "price", type: { type: "bytes", logicalType: "decimal", precision: 18, scale: 6 } },
    { name: "kind", type: { type: "enum", name: "Kind", symbols: ["TRADE", "QUOTE"] } },
    {
      name: "venue",
      type: { type: "record", name: "Venue", fields: [{ name: "mic", type: "string" }] },
    },
    { name: "size", type: "int" },
  ],
};
const v2 = {
  ...v1,
  fields: [
    { name: "symbol", type: "string", doc: "ticker" },
    { name: "price", type: { type: "bytes", logicalType: "decimal", precision: 18, scale: 6 } },
    { name: "kind", type: { type: "enum", name: "Kind", symbols: ["TRADE", "QUOTE", "CANCEL"] } },
    {
      name: "venue",
      type: {
        type: "record",
        name: "Venue",
        fields: [
          { name: "mic", type: "string" },
          { name: "lane", type: ["null", "string"], default: null },
        ],
      },
    },
    { name: "size", type: "long" },
    { name: "note", type: ["null", "string"], default: null },
  ],
};

describe("diffAvro", () => {
  test("names every field-level change with its path", () => {
    const changes = diffAvro(v1, v2);
    expect(changes).toContainEqual({
      path: "symbol",
      change: "doc_changed",
      from: undefined,
      to: "ticker",
    });
    expect(changes).toContainEqual({
      path: "size",
      change: "type_changed",
      from: "int",
      to: "long",
    });
    expect(changes).toContainEqual({
      path: "note",
      change: "added",
      type: "null | string",
      default: null,
    });
    expect(changes).toContainEqual({
      path: "venue.lane",
      change: "added",
      type: "null | string",
      default: null,
    });
    expect(changes).toContainEqual({
      path: "kind",
      change: "symbols_changed",
      added: ["CANCEL"],
      removed: [],
    });
    expect(changes).toHaveLength(5);
  });

  test("identical schemas have no changes; removal is reported", () => {
    expect(diffAvro(v1, v1)).toEqual([]);
    const removed = diffAvro(v2, v1);
    expect(removed).toContainEqual({ path: "note", change: "removed", type: "null | string" });
    expect(render({ type: "long", logicalType: "timestamp-micros" })).toBe(
      "long (timestamp-micros)",
    );
  });
});
