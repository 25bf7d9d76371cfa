/**
 * @repo/contracts — the record shapes of schemas/*.avsc as the apps use them.
 * Avro values: decimals are canonical strings ("123.45"), timestamps and longs are numbers
 * (timestamps in microseconds since the epoch), optional fields are `T | null`.
 */
export { avroOptions, avroTypeOf, DecimalType } from "./avro.ts";
export {
  type DecimalValue,
  FAST_TICK_SCHEMA,
  fastTickReader,
  formatUnits,
  type TickOf,
} from "./avro-tick.ts";
export {
  canonicalDecimal,
  divideHalfEven,
  formatDecimal,
  PRICE_PRECISION,
  PRICE_SCALE,
  parseDecimal,
  safeIntegerLength,
  unscaledNumber,
  unscaledToBytes,
  writeSafeInteger,
} from "./decimal.ts";
export type { Bar } from "./generated/Bar.ts";
export type { Indicator } from "./generated/Indicator.ts";
export { type Tick, tickDefaults } from "./generated/Tick.ts";
export { tickIdentity } from "./identity.ts";
export { fromJson, tickFromJson, tickToJson, toJson } from "./json.ts";
export {
  DEFAULT_MAX_FUTURE_SKEW_MS,
  EXCHANGE_PATTERN,
  MAX_TICK_SIZE,
  SOURCE_PATTERN,
  SYMBOL_PATTERN,
  type ValidateOptions,
  type ValidationIssue,
} from "./rules.ts";
export { formatTimestamp, parseTimestamp } from "./timestamp.ts";
export {
  type Compatibility,
  declareTopics,
  dlqHeaders,
  TOPIC,
  type TopicRole,
  type TopicSizing,
  type TopicSpec,
  type TopicValueSchema,
  topicNamed,
  topicNames,
  topics,
  valueSubject,
} from "./topics.ts";
export {
  type RecordTypes,
  type Validation,
  validate,
  validateBar,
  validateTick,
} from "./validate.ts";
export { fromWire, toWire, WIRE_HEADER_BYTES } from "./wire.ts";

/** Whether a tick is an execution or a top-of-book quote. */
export type TickKind = import("./generated/Tick.ts").Market.TickKind;
