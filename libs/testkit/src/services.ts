import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import { childEnv, eventually, stackEnv } from "./env.ts";

const repoRoot = resolve(import.meta.dir, "../../..");

export type ServiceName = "producer" | "consumer" | "ingest" | "api" | "analytics";

/** Services that run on Bun straight from TypeScript (the others are built for Node). */
const onBun: readonly ServiceName[] = ["ingest"];

export interface RunningService {
  name: ServiceName;
  url: string;
  pid: number;
  /** Sends a signal (SIGTERM by default) and resolves the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, no goodbye: a crash. */
  kill(): Promise<void>;
  /** Everything the service printed so far (stdout and stderr, interleaved by arrival). */
  output(): string;
  /** How the process ended ("exit code 1", "signal SIGKILL"), or undefined while it runs. */
  ended(): string | undefined;
  json<T = unknown>(path: string): Promise<T>;
}

/**
 * The kernel's range for outgoing connections' local ports (`ip_local_port_range`): a port handed
 * out from it can be taken by any client socket before our server binds it.
 */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}
const PORT_POOL = { low: ephemeralLow() - 12_000, size: 12_000 };

/** Whether nothing listens on `port` of loopback now (by listening on it and letting go). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolveBindable) => {
    const server = createServer();
    server.once("error", () => resolveBindable(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolveBindable(true)));
  });
}

/**
 * A free TCP port on loopback for a server a test starts, drawn at random from the 12,000 ports
 * below the kernel's ephemeral range. A port the kernel picks (`listen(0)`) lies in that range, and
 * with test files running side by side, a client connection could take it between the check and
 * the server's own bind ("Address already in use" on a scratch Kafka, seen in CI).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = PORT_POOL.low + Math.floor(Math.random() * PORT_POOL.size);
    if (await bindable(port)) return port;
  }
  throw new Error(
    `no free loopback port in ${PORT_POOL.low}–${PORT_POOL.low + PORT_POOL.size - 1}`,
  );
}

/**
 * What a service's own start scripts set for its runtime (`apps/<name>/package.json`, compose.yaml),
 * so tests and benches run it as users do: the consumer's glibc malloc settings (two arenas, a fixed
 * 128 KiB mmap and trim threshold).
 */
const RUNTIME_ENV: Partial<Record<ServiceName, Record<string, string>>> = {
  consumer: {
    MALLOC_ARENA_MAX: "2",
    MALLOC_MMAP_THRESHOLD_: "131072",
    MALLOC_TRIM_THRESHOLD_: "131072",
  },
};

/**
 * Starts a service as users do (Node for producer, consumer, api and analytics from their built
 * `dist/`, Bun for ingest) with the stack's endpoints and `env` on top, and waits until `/healthz`
 * (or `/readyz`) answers 200.
 *
 * @example
 *   const producer = await startService("producer", { TOPIC_PREFIX: prefix });
 *   await fetch(`${producer.url}/stats`);
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string> = {},
  options: {
    waitFor?: "healthz" | "readyz";
    timeoutMs?: number;
    /** Extra Node flags for a Node service (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
    nodeArgs?: string[];
  } = {},
): Promise<RunningService> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const main = resolve(repoRoot, `apps/${name}/dist/main.js`);
  const command = onBun.includes(name)
    ? ["bun", resolve(repoRoot, `apps/${name}/src/main.ts`)]
    : ["node", "--enable-source-maps", ...(options.nodeArgs ?? []), main];
  if (!onBun.includes(name) && !existsSync(main)) {
    throw new Error(`apps/${name}/dist/main.js is missing: run \`bun run build\` first`);
  }
  let output = "";
  const child: Subprocess<"ignore", "pipe", "pipe"> = spawn(command, {
    cwd: resolve(repoRoot, `apps/${name}`),
    env: childEnv({
      ...stackEnv,
      LOG_LEVEL: "info",
      ...RUNTIME_ENV[name],
      ...env,
      HOST: "127.0.0.1",
      PORT: String(port),
    }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  void collect(child.stdout);
  void collect(child.stderr);

  const url = `http://127.0.0.1:${port}`;
  const service: RunningService = {
    name,
    url,
    pid: child.pid,
    async stop(signal = "SIGTERM", timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await child.exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      child.kill("SIGKILL");
      await child.exited;
    },
    output: () => output,
    ended: () =>
      child.signalCode
        ? `signal ${child.signalCode}`
        : child.exitCode !== null
          ? `exit code ${child.exitCode}`
          : undefined,
    async json<T>(path: string) {
      const response = await fetch(`${url}${path}`);
      return (await response.json()) as T;
    },
  };
  const path = options.waitFor === "readyz" ? "/readyz" : "/healthz";
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
        const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(1000) });
        return response.ok ? true : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, message: `${name} did not answer ${path}` },
    );
  } catch (error) {
    await service.kill();
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${output.slice(-4000)}`);
  }
  return service;
}

const builds = new Map<ServiceName, Promise<void>>();

/**
 * Builds a service's `dist/` once per test process (`bun run build`, as users get it), so a
 * spawned service runs the current code (for the api: its dashboard).
 *
 * @example
 *   beforeAll(() => buildApp("producer"));
 */
export function buildApp(name: Exclude<ServiceName, "ingest">): Promise<void> {
  let build = builds.get(name);
  if (!build) {
    build = (async () => {
      const child = spawn(["bun", "run", "build"], {
        cwd: resolve(repoRoot, "apps", name),
        stdout: "pipe",
        stderr: "pipe",
      });
      if ((await child.exited) !== 0) {
        throw new Error(`building ${name} failed:\n${await new Response(child.stderr).text()}`);
      }
    })();
    builds.set(name, build);
  }
  return build;
}

/**
 * What each service is doing, for a wait that gave up: how it ended if it did, its `/readyz` and
 * `/stats` answers (2 s each) and the last lines it printed.
 *
 * @example
 *   await eventually(check, { message: "lag did not reach 0", diagnose: () => describeServices([consumer]) });
 */
export async function describeServices(
  services: RunningService[],
  options: { logLines?: number } = {},
): Promise<string> {
  const reports = await Promise.all(
    services.map(async (service) => {
      const ended = service.ended();
      const answers = ended
        ? [`process ended: ${ended}`]
        : await Promise.all(["/readyz", "/stats"].map((path) => answer(service.url, path)));
      const lines = service.output().trimEnd().split("\n");
      const shown = lines.slice(-(options.logLines ?? 30));
      return [
        `--- ${service.name} (pid ${service.pid}, ${service.url}) ---`,
        ...answers,
        `last ${shown.length} of ${lines.length} output lines:`,
        ...shown,
      ].join("\n");
    }),
  );
  return reports.join("\n");
}

/**
 * {@link eventually} for a check named by `what`; when it gives up, the error carries each given
 * service's `/readyz`, `/stats` and last 40 output lines, the state that explains the failed wait.
 *
 * @example
 *   const s = await waitFor("lag 0", async () => ((await lag()) === 0 ? true : undefined), 60_000, consumer);
 */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  services: RunningService | RunningService[] = [],
): Promise<T> {
  const shown = [services].flat();
  return eventually(check, {
    timeoutMs,
    message: what,
    diagnose: shown.length > 0 ? () => describeServices(shown, { logLines: 40 }) : undefined,
  });
}

async function answer(url: string, path: string): Promise<string> {
  try {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2_000) });
    return `GET ${path} → ${response.status} ${(await response.text()).slice(0, 4_000)}`;
  } catch (error) {
    return `GET ${path} → no answer (${(error as Error).message})`;
  }
}
