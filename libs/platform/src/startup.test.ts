import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const FIXTURE = join(import.meta.dir, "testing/boot-fixture.ts");

function start(mode: string) {
  return Bun.spawn(["bun", FIXTURE, mode], { stdout: "pipe", stderr: "pipe" });
}

/** Collects a child's JSON log lines as they come (the pipe is read to its end). */
function logLines(stream: ReadableStream<Uint8Array>) {
  const lines: Record<string, unknown>[] = [];
  const done = (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      for (const text of parts) if (text.startsWith("{")) lines.push(JSON.parse(text));
    }
  })();
  return {
    lines,
    done,
    async first(msg: string, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const line = lines.find((candidate) => candidate.msg === msg);
        if (line) return line;
        await Bun.sleep(10);
      }
      throw new Error(`no "${msg}" line in ${JSON.stringify(lines)}`);
    },
  };
}

describe("bootService: the one start path", () => {
  test.each([
    ["a bad variable", "bad-config", "SHUTDOWN_GRACE_MS"],
    ["a server refusing our credentials", "refused", "check KAFKA_SASL_PASSWORD"],
  ])(
    "%s: exit 2 with a message naming what to fix, no stack trace, no retry",
    async (_, mode, named) => {
      const service = start(mode);
      expect(await service.exited).toBe(2);
      const output =
        (await new Response(service.stdout).text()) + (await new Response(service.stderr).text());
      expect(output).toContain(named);
      expect(output).not.toContain("    at ");
      expect(output).not.toContain("not reached");
    },
  );

  test("SIGTERM answers the request in progress, stops the connection retries, closes the clients, exits 0", async () => {
    const service = start("serve");
    const log = logLines(service.stdout);
    const listening = await log.first("listening");
    // A keep-alive client (fetch) whose request is being answered when the signal comes.
    const slow = fetch(`http://127.0.0.1:${listening.port}/slow`);
    await log.first("answering /slow");
    service.kill("SIGTERM");
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("connection")).toBe("close");
    expect(await answer.json()).toEqual({ answered: true });
    expect(await service.exited).toBe(0);
    await log.done;
    const messages = log.lines.map((line) => line.msg);
    expect(log.lines).toContainEqual({ msg: "stopped connecting", connected: false });
    expect(messages.indexOf("clients closed")).toBeLessThan(messages.indexOf("stopped"));
  }, 10_000);
});
