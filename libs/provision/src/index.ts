/**
 * @repo/provision — `bun run schemas:push`: the Kafka topics and registry subjects of the topic
 * catalog (@repo/contracts), created and checked the same way by the CLI, `bun run dev` and tests.
 */
export {
  loadProvisionConfig,
  type ProvisionConfig,
  partitionsVariable,
  provisionEnv,
  sizeTopics,
} from "./config.ts";
export { type ExistingTopic, platformaticSecurity, TopicAdmin } from "./kafka-admin.ts";
export { PIN_PREFIX, pinDeclaredSchemas } from "./pin.ts";
export {
  type PushAction,
  type PushOptions,
  type PushReport,
  prefixTopics,
  pushSchemas,
} from "./push.ts";
