export * from "./cassandra.ts";
export * from "./env.ts";
export * from "./kafka.ts";
export * from "./services.ts";
