import { fromJson, type ValidateOptions } from "@repo/contracts";
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
 * of all records (not just the first) with paths like `records[3].value.price`. A record's `key`,
 * when given for a value with a `symbol`, must equal that symbol: records are keyed by symbol so
 * that one symbol lives on one partition (per-symbol order, one consumer per bar).
 *
 * @example
 *   const result = validateRecords("market.ticks", [{ value: { symbol: "aapl" } }]);
 *   if (!result.ok) result.issues[0]; // { index: 0, path: "records[0].value.source", message: "..." }
 */
export function validateRecords(
  topic: string,
  records: PostedRecord[],
  options: ValidateOptions = {},
): RecordsValidation {
  const values: unknown[] = [];
  const issues: RecordIssue[] = [];
  records.forEach((record, index) => {
    const result = fromJson(topic, record.value, options);
    const symbol = result.ok ? (result.value as { symbol?: unknown }).symbol : undefined;
    if (record.key !== undefined && typeof symbol === "string" && record.key !== symbol) {
      issues.push({
        index,
        path: `records[${index}].key`,
        message: `must equal the value's symbol (${symbol}) or be omitted: records are keyed by symbol`,
      });
    } else if (result.ok) values.push(result.value);
    if (!result.ok) {
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
