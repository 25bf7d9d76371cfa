import type { Address } from "../ports.ts";

/** One server process a topology runs (a component of the local stack, a node of the cluster). */
export interface Server {
  /** Unique within its topology; names its pid file and log. */
  name: string;
  /** Loopback ports it listens on (127.0.0.1 unless an address says otherwise); all must be free before it starts. */
  ports: (number | Address)[];
  /** The address clients use. */
  endpoint: string;
  /** Its role and other addresses, for `status` ("KRaft node 2, controller 127.0.0.1:19193"). */
  summary?: string;
  /** Downloads or builds what the server needs (cached; a no-op when warm). */
  install(): Promise<void>;
  /** Writes configuration, prepares data and starts the process. */
  start(): Promise<void>;
  /** Resolves the running server's version once it really answers; throws while it does not. */
  probe(): Promise<string>;
  /** How long `up` waits for `probe` before giving up. */
  readyTimeoutMs: number;
  /**
   * How many times `up` starts a server whose process exits before its probe answers, one second
   * apart, before reporting it with its log. 1 by default. For a server that connects once at
   * start-up to a dependency that may still be settling (the registry to a ring that has just
   * formed), and exits when that first connection fails.
   */
  startAttempts?: number;
  /** How long `down` waits after SIGTERM before SIGKILL. */
  stopGraceMs: number;
  /**
   * What `install` runs: Maven installs go one after another (they share ~/.m2), a Go build overlaps
   * with them. Maven by default.
   */
  installer?: "maven" | "go";
}

/** One server of the single-node local stack. */
export interface Component extends Server {
  name: "kafka" | "cassandra" | "registry" | "prometheus";
}
