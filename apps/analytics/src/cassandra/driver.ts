import cassandra from "cassandra-driver";
import { formatMicros, parseMicros } from "../indicators/fixed.ts";

const { BigDecimal } = cassandra.types;

/** What every analytics table family is built from: the client and how to talk to it. */
export interface TableOptions {
  client: cassandra.Client;
  consistency: number;
  maxConcurrency: number;
}

/** A micro-unit amount as the driver's `decimal`. */
export const decimal = (micros: bigint) => BigDecimal.fromString(formatMicros(micros));

/** A stored decimal (read `CAST(… AS text)`) as a canonical string; null stays null. */
export const canonical = (value: unknown) =>
  value === null || value === undefined ? null : formatMicros(parseMicros(String(value)));

/** Options of a prepared write and of a paged read at the configured consistency. */
export function statementOptions(options: Pick<TableOptions, "consistency">) {
  return {
    write: { prepare: true, consistency: options.consistency },
    read: { prepare: true, consistency: options.consistency, fetchSize: 5000 },
  };
}

/**
 * Every row of a query, page by page (at most 1000 pages).
 *
 * @example
 *   const rows = await readAll(client, read, "SELECT id FROM alert_rules", []);
 */
export async function readAll(
  client: cassandra.Client,
  read: object,
  query: string,
  params: unknown[],
): Promise<cassandra.types.Row[]> {
  const rows: cassandra.types.Row[] = [];
  let pageState: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const result = await client.execute(query, params, { ...read, pageState });
    rows.push(...result.rows);
    pageState = result.pageState ?? undefined;
    if (!pageState) break;
  }
  return rows;
}

/** A time in µs as the driver's timestamp. */
export const timestampOf = (micros: number) => new Date(micros / 1000);

/** A driver timestamp as µs. */
export const microsOf = (value: unknown) => (value as Date).getTime() * 1000;
