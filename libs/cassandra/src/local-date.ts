import cassandra from "cassandra-driver";
import { DAY_US, dayOf } from "./time.ts";

/** Per UTC day number (days since the epoch): no date text is made for a day already seen. */
const localDates = new Map<number, cassandra.types.LocalDate>();
/** The day asked last: a batch's ticks nearly all share one. */
let lastDay = Number.NaN;
let lastDate: cassandra.types.LocalDate | undefined;

/**
 * The `day` column's value for `micros`, as the driver binds it (immutable, so shared per day).
 *
 * @example
 *   await client.execute(query, [symbol, partitionDay(eventTimeUs)], { prepare: true });
 */
export function partitionDay(micros: number): cassandra.types.LocalDate {
  const day = Math.floor(micros / DAY_US);
  if (day === lastDay && lastDate !== undefined) return lastDate;
  let date = localDates.get(day);
  if (!date) {
    date = cassandra.types.LocalDate.fromString(dayOf(micros));
    if (localDates.size > 10_000) localDates.clear();
    localDates.set(day, date);
  }
  lastDay = day;
  lastDate = date;
  return date;
}
