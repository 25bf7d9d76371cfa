import { childEnv } from "./env.ts";

/** What a finished command printed and how it ended. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  output: string;
  /** Whether it was still running at `timeoutMs` and was killed. */
  timedOut: boolean;
}

/**
 * Runs `command` to its end with `env` on top of the test's own environment, SIGKILLed after
 * `timeoutMs` (default 90 s); its exit code and output.
 *
 * @example
 *   const push = await runCommand(["bun", "run", "schemas:push", "--dry-run"], { cwd: repoRoot });
 *   expect(push.code).toBe(0);
 */
export async function runCommand(
  command: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const child = Bun.spawn(command, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: childEnv(options.env),
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 90_000);
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr, output: `${stdout}${stderr}`, timedOut };
}
