/**
 * A minimal service started through `bootService`, for `startup.test.ts`:
 * `bun boot-fixture.ts bad-config | refused | serve`.
 */
import { loadConfig, positiveInt } from "../config.ts";
import { AccessError } from "../errors.ts";
import { createServiceApp } from "../http.ts";
import { sleep } from "../retry.ts";
import { bootService, type ServiceConfig } from "../startup.ts";

const mode = process.argv[2];
const load = (): ServiceConfig => {
  if (mode === "bad-config")
    loadConfig({ SHUTDOWN_GRACE_MS: positiveInt(1_000) }, { SHUTDOWN_GRACE_MS: "soon" });
  return { HOST: "127.0.0.1", PORT: 0, LOG_LEVEL: "info", SHUTDOWN_GRACE_MS: 5_000 };
};
const { log, serve, untilConnected } = bootService("fixture", load);

if (mode === "refused") {
  await untilConnected("kafka", async () => {
    throw new AccessError("kafka", "SASL authentication failed; check KAFKA_SASL_PASSWORD");
  });
  log.info("not reached");
}

if (mode === "serve") {
  const app = createServiceApp({
    service: "fixture",
    log,
    stats: () => ({}),
    readiness: () => ({ ready: true, checks: {} }),
  });
  app.get("/slow", async (c) => {
    console.log(JSON.stringify({ msg: "answering /slow" }));
    await sleep(300);
    return c.json({ answered: true });
  });
  serve(app, async () => console.log(JSON.stringify({ msg: "clients closed" })));
  const connected = await untilConnected("nothing", () => Promise.reject(new Error("down")), {
    onRetry: () => {},
  });
  console.log(JSON.stringify({ msg: "stopped connecting", connected }));
}
