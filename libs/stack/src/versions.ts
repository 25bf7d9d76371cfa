/** Pinned versions of the servers the stack runs. Changing one here is the whole upgrade. */
export const versions = {
  kafka: "4.1.1",
  /** log4j2 binding for Kafka's slf4j 1.x API, as the Kafka distribution ships it. */
  log4j: "2.24.3",
  cassandra: "5.0.7",
  registry: "v0.2.1",
} as const;

export const registryModule = "github.com/axonops/axonops-schema-registry";
