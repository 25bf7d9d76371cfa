/**
 * `schemas:push`: makes Kafka and the Schema Registry match the declared topics and schemas.
 * Everything is checked first (reachability, partition counts, compatibility); only when all
 * checks pass is anything created, so a refused change leaves nothing half-applied.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { topics as declaredTopics, type TopicSpec } from "@repo/contracts";
import type { KafkaSecurity, RegistryAccess } from "@repo/platform/security";
import { type CompatibilityCheck, RegistryAdmin } from "@repo/registry/admin";
import { type ExistingTopic, TopicAdmin } from "./kafka-admin.ts";

/** Where and how to push. */
export interface PushOptions {
  brokers: string[];
  /** SASL/TLS towards the brokers, from `kafkaSecurity(config)`; plain text when absent. */
  kafkaSecurity?: KafkaSecurity;
  /** The registry's URL, basic auth and CA, from `registryAccess(config)`. */
  registry: RegistryAccess;
  /** Print what would change and change nothing. */
  dryRun?: boolean;
  /** Read `<schemaDir>/<file>.avsc` instead of the schemas built into this package. */
  schemaDir?: string;
  /** Topics to push; defaults to every declared topic as declared (`loadProvisionConfig` sizes them). */
  topics?: readonly TopicSpec[];
  log?: (line: string) => void;
}

/** One line of the report: what happened (or would happen) to one topic or subject. */
export interface PushAction {
  item: string;
  outcome: "created" | "registered" | "set" | "unchanged";
  detail: string;
}

/** What `pushSchemas` did; `errors` non-empty means nothing was changed. */
export interface PushReport {
  dryRun: boolean;
  actions: PushAction[];
  errors: string[];
  changed: boolean;
}

type Step = PushAction & { apply?: () => Promise<string> };

/**
 * Creates missing topics, sets each subject's compatibility and registers each value schema
 * under `<topic>-value`. Throws (naming the URL) when the registry or Kafka is unreachable.
 */
export async function pushSchemas(options: PushOptions): Promise<PushReport> {
  const { dryRun = false, log = () => {} } = options;
  const topics = options.topics ?? declaredTopics;
  const registry = new RegistryAdmin(options.registry);
  const admin = new TopicAdmin(options.brokers, undefined, options.kafkaSecurity);
  try {
    const [, existing] = await Promise.all([
      registry.globalCompatibility(),
      admin.describe(topics.map((topic) => topic.name)),
    ]);
    const errors: string[] = [];
    const steps: Step[] = topics.map((topic) =>
      topicStep(topic, existing.get(topic.name), admin, errors),
    );
    for (const topic of topics)
      steps.push(...(await subjectSteps(topic, options.schemaDir, registry, errors, dryRun)));
    const changed = steps.some((step) => step.apply);
    if (errors.length > 0) {
      for (const error of errors) log(`error: ${error}`);
      log("nothing was changed");
      return { dryRun, actions: steps.map(toAction), errors, changed: false };
    }
    for (const step of steps) {
      if (step.apply && !dryRun) step.detail = await step.apply();
      const outcome = step.apply && dryRun ? `would be ${step.outcome}` : step.outcome;
      log(`${step.item}: ${outcome}${step.detail ? ` (${step.detail})` : ""}`);
    }
    log(changed ? (dryRun ? "dry run: nothing was changed" : "done") : "no changes");
    return { dryRun, actions: steps.map(toAction), errors, changed: changed && !dryRun };
  } finally {
    await admin.close();
  }
}

/**
 * The declared topics renamed `<prefix><name>` (subjects follow), so tests and isolated
 * environments can push the real declarations without touching the real topics.
 */
export function prefixTopics(topics: readonly TopicSpec[], prefix: string): TopicSpec[] {
  return topics.map((topic) => {
    const name = `${prefix}${topic.name}`;
    const value =
      topic.value === "bytes" ? topic.value : { ...topic.value, subject: `${name}-value` };
    return { ...topic, name, value };
  });
}

const toAction = ({ item, outcome, detail }: Step): PushAction => ({ item, outcome, detail });

function topicStep(
  topic: TopicSpec,
  found: ExistingTopic | undefined,
  admin: TopicAdmin,
  errors: string[],
): Step {
  const item = `topic ${topic.name}`;
  const declared = `${topic.partitions} partitions, replication ${topic.replicationFactor}`;
  if (!found) {
    return {
      item,
      outcome: "created",
      detail: declared,
      apply: () => admin.create(topic).then(() => declared),
    };
  }
  if (
    found.partitions !== topic.partitions ||
    found.replicationFactor !== topic.replicationFactor
  ) {
    errors.push(
      `${item} has ${found.partitions} partitions, replication ${found.replicationFactor}; declared ${declared}. ` +
        "schemas:push never alters an existing topic: change the declaration (TOPIC_PARTITIONS_*, KAFKA_REPLICATION_FACTOR) or the topic.",
    );
  }
  return { item, outcome: "unchanged", detail: `${found.partitions} partitions` };
}

async function subjectSteps(
  topic: TopicSpec,
  schemaDir: string | undefined,
  registry: RegistryAdmin,
  errors: string[],
  dryRun: boolean,
): Promise<Step[]> {
  if (topic.value === "bytes") return [];
  const { subject, compatibility, schemaFile } = topic.value;
  const schema = JSON.stringify(
    schemaDir
      ? JSON.parse(readFileSync(join(schemaDir, basename(schemaFile)), "utf8"))
      : topic.value.schema,
  );
  const steps: Step[] = [];
  const level = await registry.subjectCompatibility(subject);
  const configItem = `compatibility ${subject}`;
  if (level === compatibility)
    steps.push({ item: configItem, outcome: "unchanged", detail: level });
  else {
    const apply = () => registry.setCompatibility(subject, compatibility).then(() => compatibility);
    steps.push({
      item: configItem,
      outcome: "set",
      detail: `${level ?? "none"} → ${compatibility}`,
      apply,
    });
  }
  const item = `subject ${subject}`;
  const registered = await registry.lookup(subject, schema);
  if (registered) {
    steps.push({
      item,
      outcome: "unchanged",
      detail: `id ${registered.id} version ${registered.version}`,
    });
    return steps;
  }
  const check = await checkUnder(registry, subject, schema, compatibility, level, dryRun);
  if (!check.compatible) {
    const messages = check.messages.length > 0 ? check.messages.join("\n    ") : "(no message)";
    errors.push(
      `${item}: ${schemaFile} is incompatible with the latest registered version:\n    ${messages}`,
    );
  }
  const apply = () =>
    registry.register(subject, schema).then((r) => `id ${r.id} version ${r.version}`);
  steps.push({ item, outcome: "registered", detail: "new version", apply });
  return steps;
}

/**
 * The registry checks against the subject's current level. When the declared level differs,
 * the check runs under the declared level, switched in for the check and restored right after
 * (a dry run changes nothing, so it checks under the current level and says so).
 */
async function checkUnder(
  registry: RegistryAdmin,
  subject: string,
  schema: string,
  declared: string,
  current: string | undefined,
  dryRun: boolean,
): Promise<CompatibilityCheck> {
  if (current === declared) return registry.checkCompatibility(subject, schema);
  if (dryRun) {
    const check = await registry.checkCompatibility(subject, schema);
    const note = `(dry run: checked under the current level ${current ?? "global"}, not ${declared})`;
    return { ...check, messages: [...check.messages, note] };
  }
  await registry.setCompatibility(subject, declared);
  try {
    return await registry.checkCompatibility(subject, schema);
  } finally {
    if (current) await registry.setCompatibility(subject, current);
    else await registry.clearCompatibility(subject);
  }
}
