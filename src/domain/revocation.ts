// Revocation reasons: RFC 5280 §5.3.1 CRLReason codes, restricted to those BR §7.2.2 lets a
// subscriber certificate's CRL entry carry. `unspecified` is expressed by omitting the
// reasonCode (null here); certificateHold is never used (BR §4.9.13: no suspension).
import { CertError } from './errors.js';

export const REVOCATION_REASONS = {
  unspecified: null,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;

export type RevocationReasonName = keyof typeof REVOCATION_REASONS;

export function parseRevocationReason(name: string): number | null {
  if (!Object.hasOwn(REVOCATION_REASONS, name)) {
    throw new CertError(
      'invalid_parameter',
      `The revocation reason must be one of ${Object.keys(REVOCATION_REASONS).join(', ')}.`,
    );
  }
  return REVOCATION_REASONS[name as RevocationReasonName];
}

export function revocationReasonName(code: number | null): RevocationReasonName {
  const found = Object.entries(REVOCATION_REASONS).find(([, c]) => c === code);
  return (found?.[0] ?? 'unspecified') as RevocationReasonName;
}

/** Serial numbers as stored: upper-case hex without separators or leading 0x. */
export function normalizeSerial(text: string): string {
  const hex = text.trim().replace(/^0x/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{1,40}$/.test(hex))
    throw new CertError('invalid_parameter', 'The serial must be a hexadecimal number.');
  return hex;
}
