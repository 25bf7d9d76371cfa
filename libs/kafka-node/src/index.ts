export * from "./config.ts";
export * from "./producer.ts";
