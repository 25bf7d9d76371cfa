export * from "./config.ts";
export * from "./errors.ts";
export * from "./exposition.ts";
export * from "./http.ts";
export * from "./log.ts";
export * from "./metrics.ts";
export * from "./retry.ts";
export * from "./stats.ts";
