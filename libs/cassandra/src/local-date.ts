import cassandra from "cassandra-driver";
import { dayOf } from "./time.ts";

const localDates = new Map<string, cassandra.types.LocalDate>();

/**
 * The `day` column's value for `micros`, as the driver binds it (immutable, so shared per day).
 *
 * @example
 *   await client.execute(query, [symbol, partitionDay(eventTimeUs)], { prepare: true });
 */
export function partitionDay(micros: number): cassandra.types.LocalDate {
  const day = dayOf(micros);
  let date = localDates.get(day);
  if (!date) {
    date = cassandra.types.LocalDate.fromString(day);
    if (localDates.size > 10_000) localDates.clear();
    localDates.set(day, date);
  }
  return date;
}
