import { fromJson } from "@repo/contracts";
import type { PostedRecord } from "./request.ts";

/** One invalid record: its index in the request, the field path and the reason. */
export interface RecordIssue {
  index: number;
  path: string;
  message: string;
}

export type RecordsValidation =
  | { ok: true; values: unknown[] }
  | { ok: false; issues: RecordIssue[] };

/**
 * Converts every posted value from its JSON form to the topic's Avro value, collecting the problems
 * of all records (not just the first) with paths like `records[3].value.price`.
 *
 * @example
 *   const result = validateRecords("market.ticks", [{ value: { symbol: "aapl" } }]);
 *   if (!result.ok) result.issues[0]; // { index: 0, path: "records[0].value.source", message: "..." }
 */
export function validateRecords(topic: string, records: PostedRecord[]): RecordsValidation {
  const values: unknown[] = [];
  const issues: RecordIssue[] = [];
  records.forEach((record, index) => {
    const result = fromJson(topic, record.value);
    if (result.ok) values.push(result.value);
    else {
      for (const issue of result.issues) {
        const path = issue.path
          ? `records[${index}].value.${issue.path}`
          : `records[${index}].value`;
        issues.push({ index, path, message: issue.message });
      }
    }
  });
  return issues.length === 0 ? { ok: true, values } : { ok: false, issues };
}

/** The message key: the posted key, else the value's `symbol`, else none. */
export function messageKey(record: PostedRecord, value: unknown): string | null {
  if (record.key !== undefined) return record.key;
  const symbol = (value as { symbol?: unknown } | null)?.symbol;
  return typeof symbol === "string" ? symbol : null;
}
