/**
 * The Confluent wire format every message value on our Avro topics uses: magic byte 0, the 4-byte
 * big-endian schema id, then the Avro body. Any Confluent-compatible client reads it.
 */

/** Bytes before the Avro body. */
export const WIRE_HEADER_BYTES = 5;

/**
 * Frames an Avro body with its schema id.
 *
 * @example
 *   const value = toWire(7, tickType.toBuffer(tick)); // <00 00 00 00 07 …avro>
 */
export function toWire(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + body.length);
  out[0] = 0;
  out.writeInt32BE(schemaId, 1);
  body.copy(out, WIRE_HEADER_BYTES);
  return out;
}

/**
 * The schema id and Avro body of a wire-format value, or why it is not one.
 *
 * @example
 *   const framed = fromWire(message.value);
 *   if (framed.ok) type.fromBuffer(framed.body);
 */
export function fromWire(
  value: Buffer,
): { ok: true; schemaId: number; body: Buffer } | { ok: false; message: string } {
  if (value.length < WIRE_HEADER_BYTES || value[0] !== 0) {
    const magic = value[0] ?? "none";
    return {
      ok: false,
      message: `not Confluent wire format: magic byte ${magic}, length ${value.length}`,
    };
  }
  return { ok: true, schemaId: value.readInt32BE(1), body: value.subarray(WIRE_HEADER_BYTES) };
}
