import { createServer } from "node:net";
import { PipelineError } from "@repo/platform/errors";

/** Resolves true when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A listening address other than 127.0.0.1 (a cluster node on 127.0.0.12, say). */
export interface Address {
  host: string;
  port: number;
}

/** Throws a message naming every port (on 127.0.0.1 unless an {@link Address} says otherwise) already taken. */
export async function assertPortsFree(
  component: string,
  ports: readonly (number | Address)[],
): Promise<void> {
  const taken: Address[] = [];
  for (const entry of ports) {
    const address = typeof entry === "number" ? { host: "127.0.0.1", port: entry } : entry;
    if (!(await portIsFree(address.port, address.host))) taken.push(address);
  }
  const first = taken[0];
  if (first) {
    const named = taken.every((a) => a.host === "127.0.0.1")
      ? `port ${taken.map((a) => a.port).join(", ")} on 127.0.0.1`
      : taken.map((a) => `${a.host}:${a.port}`).join(", ");
    throw new StackError(
      `${component}: ${named} is already in use by a process this stack did not start. ` +
        `Stop it (e.g. \`ss -ltnp 'sport = :${first.port}'\` shows which) or point the app at that server instead.`,
    );
  }
}

/**
 * An error meant for the person running the CLI, printed without a stack trace: a port taken, a
 * tool missing, a server that did not start. Final unless said otherwise: it needs that person.
 *
 * @example
 *   throw new StackError("kill needs the components to kill, e.g. `kill kafka-2`");
 */
export class StackError extends PipelineError {
  override name = "StackError";
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { retriable: options.retriable ?? false, cause: options.cause });
  }
}
