import { buildApp } from "@repo/testkit";

/** Builds `dist/` once per test run, as users get it from `bun run build`. */
export const buildProducer = () => buildApp("producer");
