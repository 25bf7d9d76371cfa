import { createRequire } from "node:module";

type RdKafka = typeof import("@confluentinc/kafka-javascript");

/**
 * librdkafka's Node binding, loaded here and only here. It is a CommonJS NAN addon kept external to
 * bundles, so it is loaded with `require`; it does not load under Bun (see the architecture brief),
 * which is why the types and errors live in `types.ts` and `errors.ts`.
 */
export const rdkafka = createRequire(import.meta.url)("@confluentinc/kafka-javascript") as RdKafka;
