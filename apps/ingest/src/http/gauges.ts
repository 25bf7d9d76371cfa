import type { GaugeSample } from "@repo/platform/metrics";
import type { ProviderView } from "../control/providers.ts";
import type { StreamProvider } from "../providers/provider.ts";
import { isMarketOpen } from "../schedule/calendar.ts";

interface StreamView {
  messagesPerSecond?: unknown;
  reconnects?: unknown;
  lastMessageAgeMs?: unknown;
  recovery?: { pending?: unknown; recovered?: unknown; failed?: unknown };
}

/**
 * `/metrics` gauges of the streaming providers, sampled at each scrape and labelled by provider:
 * whether it is up (streaming or waiting for the open), messages per second, reconnects, the age of
 * the last frame, and the gap recovery's pending, recovered and failed counts.
 *
 * @example
 *   createServiceApp({ service: "ingest", …, gauges: () => streamGauges(streams) });
 */
export function streamGauges(streams: readonly StreamProvider[]): GaugeSample[] {
  return streams.flatMap((stream) => {
    const view = stream.view() as StreamView;
    const labels = { provider: stream.name };
    const samples: GaugeSample[] = [
      {
        name: "streamUp",
        help: "1 while the provider streams (or waits for the market to open), else 0",
        labels,
        value: stream.check().ok ? 1 : 0,
      },
    ];
    const add = (name: string, help: string, value: unknown, scale = 1) => {
      if (typeof value === "number") samples.push({ name, help, labels, value: value * scale });
    };
    add(
      "streamMessagesPerSecond",
      "frames received per second (10 s window)",
      view.messagesPerSecond,
    );
    add("streamReconnects", "reconnects since start", view.reconnects);
    add(
      "streamLastMessageAgeSeconds",
      "seconds since the last frame",
      view.lastMessageAgeMs,
      0.001,
    );
    add("streamGapsPending", "stream gaps waiting for recovery", view.recovery?.pending);
    add("streamGapTicksRecovered", "ticks recovered from history", view.recovery?.recovered);
    add("streamGapsFailed", "gaps that could not be recovered", view.recovery?.failed);
    return samples;
  });
}

/**
 * `/metrics` gauges that make alerts calendar-aware and show operator state: whether the exchange's
 * regular session is open now (holidays and early closes included), and each provider paused or not.
 *
 * @example
 *   controlGauges({ providers: control.list() }); // market_open 1 during the session
 */
export function controlGauges(view: {
  providers: readonly Pick<ProviderView, "name" | "paused">[];
  now?: Date;
}): GaugeSample[] {
  return [
    {
      name: "marketOpen",
      help: "1 while the US equity regular session is open (NYSE calendar: holidays, early closes), else 0",
      value: isMarketOpen(view.now ?? new Date()) ? 1 : 0,
    },
    ...view.providers.map((provider) => ({
      name: "providerPaused",
      help: "1 while an operator has paused the provider's schedule, else 0",
      labels: { provider: provider.name },
      value: provider.paused ? 1 : 0,
    })),
  ];
}
