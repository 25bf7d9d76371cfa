import { type Tick, tickToJson } from "@repo/contracts";
import type { RunningService } from "./services.ts";

/**
 * Posts records to a running producer's `POST /v1/topics/market.ticks/records`, 500 a request, as
 * a user's client does; resolves once Kafka acknowledged them all and throws on a refusal.
 *
 * @example
 *   await postTickRecords(producer, [{ value: { source: "e2e", symbol: "AAPL", … } }]);
 */
export async function postTickRecords(
  producer: RunningService,
  records: { key?: string; value: Record<string, unknown> }[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const response = await fetch(`${producer.url}/v1/topics/market.ticks/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: records.slice(i, i + 500) }),
    });
    if (response.status !== 200)
      throw new Error(`producer answered ${response.status}: ${await response.text()}`);
  }
}

/**
 * {@link postTickRecords} for ticks: each in its JSON form, keyed by its symbol.
 *
 * @example
 *   await postTicks(producer, [sampleTick({ symbol: "AAPL" })]);
 */
export function postTicks(producer: RunningService, ticks: Tick[]): Promise<void> {
  return postTickRecords(
    producer,
    ticks.map((tick) => ({ key: tick.symbol, value: tickToJson(tick) })),
  );
}
