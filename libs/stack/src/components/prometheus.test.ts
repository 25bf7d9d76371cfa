import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitoringDir, prometheusConfig, stackPrometheusConfig } from "./prometheus.ts";

/** Debian's promtool (package `prometheus`, installed by libs/stack/setup.sh). */
function promtool(...args: string[]) {
  const result = spawnSync("promtool", args, { encoding: "utf8", cwd: monitoringDir });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("the repository's Prometheus configuration", () => {
  test("promtool accepts the stack's and compose's scrape configs and the rules they load", () => {
    for (const file of [stackPrometheusConfig, join(monitoringDir, "prometheus.compose.yml")]) {
      const checked = promtool("check", "config", file);
      expect(checked.output).toContain("is valid prometheus config file syntax");
      expect(checked.output).toMatch(/SUCCESS: 12 rules found/);
      expect(checked.code).toBe(0);
    }
    const rules = promtool("check", "rules", join(monitoringDir, "rules", "marketpipe.yml"));
    expect(rules.code).toBe(0);
  });

  test("each alert fires on the series meant to fire it and not on its near miss (promtool test rules)", () => {
    const tested = promtool("test", "rules", join(monitoringDir, "tests", "marketpipe.test.yml"));
    expect(tested.output).toContain("SUCCESS");
    expect(tested.code).toBe(0);
  });

  test("a generated per-test config scrapes the given targets with the repository's rules", () => {
    const dir = mkdtempSync(join(tmpdir(), "prometheus-config-"));
    try {
      const file = join(dir, "prometheus.yml");
      const text = prometheusConfig(
        [
          { service: "ingest", address: "127.0.0.1:41001" },
          { service: "consumer", address: "127.0.0.1:41003" },
        ],
        1,
      );
      writeFileSync(file, text);
      const checked = promtool("check", "config", file);
      expect(checked.output).toMatch(/SUCCESS: 12 rules found/);
      expect(checked.code).toBe(0);
      expect(text).toContain('targets: ["127.0.0.1:41003"]');
      expect(text).toContain("scrape_interval: 1s");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
