export * from "./config.ts";
export * from "./consumer.ts";
export * from "./producer.ts";
