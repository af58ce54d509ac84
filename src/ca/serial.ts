// Certificate serial numbers (BR §7.1.2.7 / BR 7.1.2.7; RFC 5280 §4.1.2.2): positive,
// at most 20 octets, below 2^159, non-sequential, with at least 64 bits from a CSPRNG.
// We use 16 octets (127 random bits) with the top bit cleared so the DER INTEGER needs no
// padding octet and stays positive; a zero first octet is avoided so every serial has the
// same 16-octet encoding (this costs less than one bit of the 127).

import { CertError } from '../domain/errors.js';
import type { RandomSource } from '../domain/ports.js';

export const SERIAL_BYTES = 16;

export function generateSerial(random: RandomSource): Buffer {
  const serial = Buffer.from(random.bytes(SERIAL_BYTES));
  if (serial.length !== SERIAL_BYTES) throw new CertError('internal', 'random source returned the wrong length');
  serial[0] = (serial[0] as number) & 0x7f || 0x01;
  return serial;
}
