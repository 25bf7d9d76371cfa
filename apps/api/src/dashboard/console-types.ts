// The contract between the Kafka console shell (console.ts) and its views.

/** What a view gets from the console shell: where to draw, how to call the api, how to report. */
export interface ConsoleView {
  body: HTMLElement;
  /** The topic-prefix filter when the view was shown. */
  prefix: string;
  call<T>(path: string, init?: RequestInit): Promise<T>;
  fail(error: unknown): void;
  done(text: string): void;
  /** Runs `load` every `ms` while the view is shown. */
  every(ms: number, load: () => Promise<void>): void;
  /** Keeps `source` open while the view is shown (closing the one before); null closes it. */
  follow(source: EventSource | null): void;
}
