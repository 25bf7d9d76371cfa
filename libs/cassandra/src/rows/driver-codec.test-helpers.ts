import cassandra from "cassandra-driver";

/** The driver's own codec (exported by its JS, absent from its typings), for comparing bytes. */
interface DriverEncoder {
  encode(value: unknown, type: { code: number }): Buffer;
  decode(bytes: Buffer, type: { code: number }): unknown;
}
const Encoder = (
  cassandra as unknown as {
    Encoder: new (protocolVersion: number, options: object) => DriverEncoder;
  }
).Encoder;

export const driverCodec = new Encoder(4, {});
export const { dataTypes } = cassandra.types;
