// Text parameters are checked at the CAS edge, before anything reaches a store: a NUL byte
// is refused by PostgreSQL's text type (one such value used to fail a whole batched
// statement, and with it other customers' requests) and stored silently by SQLite. So every
// parameter name and value must be well-formed Unicode (the body was valid UTF-8, checked in
// signature.ts) without control characters; line breaks and tabs are allowed in values only,
// and only parameters declared multi-line (PEM) keep them (params.ts). The values that
// identify a request (AccessKeyId, SignatureNonce, action, version, timestamp) are printable
// ASCII: every SDK sends them so (a UUID or hex nonce, Alibaba Cloud API reference, request signatures).
import { CertError } from '../../domain/errors.js';
import type { SignedRequest } from './signature.js';

/** C0 controls except TAB/LF/CR, DEL, C1 controls; and unpaired UTF-16 surrogates. */
const CONTROL_OR_BROKEN =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LINE_BREAK_OR_TAB = /[\t\n\r]/;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/** Longest parameter name accepted: the longest CAS name (Tags.20.Value style) is far below. */
export const MAX_PARAM_NAME = 128;
/** Longest AccessKeyId, SignatureNonce, action, version or timestamp accepted. */
export const MAX_IDENTIFIER = 128;

function shown(name: string): string {
  return PRINTABLE_ASCII.test(name) ? name.slice(0, 64) : '(a parameter name)';
}

/** Refuses a value holding a control character or broken Unicode; `multiline` allows TAB/LF/CR. */
export function checkTextValue(name: string, value: string, multiline: boolean): void {
  if (CONTROL_OR_BROKEN.test(value) || (!multiline && LINE_BREAK_OR_TAB.test(value))) {
    throw new CertError('invalid_parameter', `The parameter ${shown(name)} contains a control character.`);
  }
}

function checkIdentifier(name: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value.length > MAX_IDENTIFIER)
    throw new CertError('invalid_parameter', `The parameter ${name} is longer than ${MAX_IDENTIFIER} characters.`);
  if (!PRINTABLE_ASCII.test(value))
    throw new CertError('invalid_parameter', `The parameter ${name} must be printable ASCII.`);
}

/**
 * Every text the request carries, checked before the AccessKey is looked up or the nonce
 * remembered. Values may hold TAB/LF/CR here; single-line parameters refuse them when decoded.
 */
export function checkRequestText(signed: SignedRequest): void {
  checkIdentifier('AccessKeyId', signed.accessKeyId);
  checkIdentifier('SignatureNonce', signed.nonce);
  checkIdentifier('Action', signed.action);
  checkIdentifier('Version', signed.version);
  checkIdentifier('Timestamp', signed.timestamp);
  const all = signed.proof.kind === 'rpc-v1' ? [signed.params, signed.proof.signedParams] : [signed.params];
  for (const params of all) {
    for (const [name, value] of params) {
      if (name.length > MAX_PARAM_NAME || CONTROL_OR_BROKEN.test(name) || LINE_BREAK_OR_TAB.test(name))
        throw new CertError('invalid_parameter', 'A parameter name is too long or contains a control character.');
      checkTextValue(name, value, true);
    }
  }
}
