export * from "./client.ts";
export * from "./keyspace.ts";
export * from "./layout.ts";
export * from "./migrate.ts";
export * from "./time.ts";
