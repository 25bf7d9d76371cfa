export * from "./cassandra.ts";
export * from "./env.ts";
export * from "./kafka.ts";
export * from "./relay.ts";
export * from "./services.ts";
