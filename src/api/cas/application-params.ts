// Parameters shared by the three application actions (CAS API reference, certificate order actions).
import type { ParamSpecs } from './params.js';

export const VALIDATE_TYPES = ['DNS', 'FILE'] as const;

export const CONTACT_PARAMS = {
  Username: { type: 'string', maxLength: 64 },
  Phone: { type: 'string', maxLength: 32 },
  Email: { type: 'string', maxLength: 128 },
} as const satisfies ParamSpecs;

/** A CSR in PEM: RSA-8192 with many SANs stays far below this. */
export const CSR_MAX = 16_384;

/** CreateCertificateRequest and CreateCertificateWithCsrRequest: every field required (CAS API reference, certificate order actions). */
export const DV_API_PARAMS = {
  ProductCode: { type: 'string', required: true, maxLength: 64 },
  ValidateType: { type: 'string', required: true, oneOf: VALIDATE_TYPES },
  Username: { ...CONTACT_PARAMS.Username, required: true },
  Phone: { ...CONTACT_PARAMS.Phone, required: true },
  Email: { ...CONTACT_PARAMS.Email, required: true },
} as const satisfies ParamSpecs;
