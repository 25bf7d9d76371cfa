import { z } from "@repo/platform/config";

/** One record as posted: an optional key and the value in the topic's JSON representation. */
export interface PostedRecord {
  key?: string | undefined;
  value: unknown;
}

/**
 * The body of `POST /v1/topics/:topic/records`: 1..maxRecords records.
 *
 * @example
 *   recordsBody(1000).parse({ records: [{ key: "AAPL", value: { symbol: "AAPL" } }] });
 */
export function recordsBody(maxRecords: number) {
  return z.strictObject({
    records: z
      .array(
        z.strictObject({
          key: z.string().min(1, "must not be empty").optional(),
          value: z.custom<unknown>((value) => value !== undefined, "is required"),
        }),
        {
          error: (issue) =>
            issue.input === undefined ? "is required" : "must be an array of records",
        },
      )
      .min(1, "must hold at least one record")
      .max(maxRecords, `must hold at most ${maxRecords} records per request`),
  });
}
