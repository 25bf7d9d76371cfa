import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../tools.ts";

/** PEM files of a throwaway CA and what it signed, all in one folder. */
export interface ThrowawayPki {
  caCert: string;
  /** A server certificate for `127.0.0.1` (IP SAN), its key, and a PKCS#12 bundle of both. */
  serverCert: string;
  serverKey: string;
  serverP12: string;
  /** The CA as a PKCS#12 trust store (for Java servers). */
  trustP12: string;
  /** A client certificate signed by the same CA and its key. */
  clientCert: string;
  clientKey: string;
  /** The password of both PKCS#12 files. */
  storePassword: string;
}

/**
 * Makes a CA with `openssl`, a server certificate naming 127.0.0.1 and a client certificate, valid
 * for a day, plus the PKCS#12 stores a Java server reads (the trust store with the JDK's `keytool`).
 * Everything is written under `dir`; nothing is trusted beyond the test that made it.
 *
 * @example
 *   const pki = makeThrowawayPki(dir, "marketpipe-test");
 *   // CASSANDRA_TLS_CA_FILE=pki.caCert, CASSANDRA_TLS_CERT_FILE=pki.clientCert, …
 */
export function makeThrowawayPki(dir: string, name: string): ThrowawayPki {
  const file = (base: string) => join(dir, base);
  const storePassword = "changeit-scratch";
  const openssl = (...args: string[]) => run("openssl", args);
  const key = (path: string) =>
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path);
  key(file("ca.key"));
  openssl(
    "req",
    "-x509",
    "-new",
    "-key",
    file("ca.key"),
    "-subj",
    `/CN=${name} CA`,
    "-days",
    "1",
    "-out",
    file("ca.pem"),
  );
  const sign = (base: string, subject: string, extensions: string) => {
    key(file(`${base}.key`));
    openssl(
      "req",
      "-new",
      "-key",
      file(`${base}.key`),
      "-subj",
      subject,
      "-out",
      file(`${base}.csr`),
    );
    writeFileSync(file(`${base}.ext`), extensions);
    openssl(
      "x509",
      "-req",
      "-in",
      file(`${base}.csr`),
      "-CA",
      file("ca.pem"),
      "-CAkey",
      file("ca.key"),
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      file(`${base}.ext`),
      "-out",
      file(`${base}.pem`),
    );
  };
  sign(
    "server",
    `/CN=${name} server`,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  sign("client", `/CN=${name} client`, "extendedKeyUsage=clientAuth\n");
  openssl(
    "pkcs12",
    "-export",
    "-in",
    file("server.pem"),
    "-inkey",
    file("server.key"),
    "-certfile",
    file("ca.pem"),
    "-name",
    "server",
    "-passout",
    `pass:${storePassword}`,
    "-out",
    file("server.p12"),
  );
  run("keytool", [
    "-importcert",
    "-noprompt",
    "-alias",
    "ca",
    "-file",
    file("ca.pem"),
    "-keystore",
    file("trust.p12"),
    "-storetype",
    "PKCS12",
    "-storepass",
    storePassword,
  ]);
  return {
    caCert: file("ca.pem"),
    serverCert: file("server.pem"),
    serverKey: file("server.key"),
    serverP12: file("server.p12"),
    trustP12: file("trust.p12"),
    clientCert: file("client.pem"),
    clientKey: file("client.key"),
    storePassword,
  };
}
