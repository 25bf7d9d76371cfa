export * from "./client.ts";
export * from "./keyspace.ts";
export * from "./migrate.ts";
