/** One server the stack runs. */
export interface Component {
  name: "kafka" | "cassandra" | "registry";
  /** Loopback ports it listens on; all must be free before it starts. */
  ports: number[];
  /** The address clients use. */
  endpoint: string;
  /** Downloads or builds what the server needs (cached; a no-op when warm). */
  install(): Promise<void>;
  /** Writes configuration, prepares data and starts the process. */
  start(): Promise<void>;
  /** Resolves the running server's version once it really answers; throws while it does not. */
  probe(): Promise<string>;
  /** How long `up` waits for `probe` before giving up. */
  readyTimeoutMs: number;
  /** How long `down` waits after SIGTERM before SIGKILL. */
  stopGraceMs: number;
}
