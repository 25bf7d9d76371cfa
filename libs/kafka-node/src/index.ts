// Loads librdkafka (Node only). Code that runs under Bun imports `@repo/kafka-node/types` and
// `@repo/kafka-node/errors` instead, which never load the addon.
export * from "./admin.ts";
export * from "./config.ts";
export * from "./consumer.ts";
export * from "./errors.ts";
export * from "./producer.ts";
export * from "./reader.ts";
export * from "./tail.ts";
export * from "./topic-configs.ts";
export type * from "./types.ts";
