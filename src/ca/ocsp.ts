// OCSP (RFC 6960) messages: reading an OCSPRequest, and building the OCSPResponse the
// issuing CA signs itself (RFC 6960 §4.2.2.2: "the CA who issued the certificate in
// question" is an authorized responder; no delegated responder certificate is needed).
// Responses follow the lightweight profile of RFC 5019 so that they can be pre-signed and
// served as stored bytes: no nonce (§2.2, requestExtensions are ignored), responderID
// byKey (§2.2.2), one SingleResponse per CertID, GeneralizedTime in whole seconds.

import { createHash } from 'node:crypto';
import {
  bitString,
  explicit,
  generalizedTime,
  integer,
  nullValue,
  octetString,
  oid,
  sequence,
  tlv,
  tlvOf,
} from '../crypto/der-writer.js';
import {
  DerError,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  encodingOf,
  expectUniversal,
  isContext,
  readChildren,
  readDer,
  readExplicit,
  UniversalTag,
  valueOf,
  type Tlv,
} from '../crypto/der-reader.js';
import { CertError } from '../domain/errors.js';
import type { Signer } from './signer.js';
import { computeKeyId, subjectPublicKeyBits } from './x509.js';

/** id-pkix-ocsp-basic (RFC 6960 §4.2.1): the only response type we produce. */
export const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';

/** CertID hash algorithms we can match (RFC 6960 §4.1.1; RFC 5019 §2.1.1 requires SHA-1). */
export const CERT_ID_HASHES = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
} as const satisfies Record<string, string>;

export type CertIdHash = (typeof CERT_ID_HASHES)[keyof typeof CERT_ID_HASHES];

export const OID_SHA1 = '1.3.14.3.2.26';

/** More CertIDs than this in one request is not a request any client sends (RFC 5019 §2.1.1 says one). */
export const MAX_REQUESTS_PER_OCSP_REQUEST = 16;

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

export type OcspErrorStatus = Exclude<keyof typeof OCSP_RESPONSE_STATUS, 'successful'>;

/** One CertID of a request (RFC 6960 §4.1.1). */
export interface OcspCertId {
  /** hashAlgorithm OID, dotted. */
  hashAlgorithm: string;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  /** The serialNumber INTEGER's content octets, as received. */
  serial: Buffer;
  /**
   * The serial as certificates.serial stores it: upper-case hex of the positive magnitude
   * (sign octet dropped). Null for a negative or zero serial, which RFC 5280 §4.1.2.2
   * forbids and we never issue.
   */
  serialHex: string | null;
  /** The CertID exactly as received: echoed back in responses signed for this request. */
  der: Buffer;
}

export interface OcspRequest {
  certIds: OcspCertId[];
}

function readCertId(node: Tlv | undefined): OcspCertId {
  const [alg, nameHash, keyHash, serial, ...extra] = readChildren(
    expectUniversal(node, UniversalTag.SEQUENCE, 'CertID'),
  );
  if (extra.length > 0) throw new DerError('CertID has extra fields');
  const [algOid, ...params] = readChildren(expectUniversal(alg, UniversalTag.SEQUENCE, 'hashAlgorithm'));
  // parameters: absent or NULL for the hash functions (RFC 5754 §2); anything more is malformed.
  if (params.length > 1) throw new DerError('hashAlgorithm has extra fields');
  const hashAlgorithm = decodeOid(expectUniversal(algOid, UniversalTag.OBJECT_IDENTIFIER, 'hashAlgorithm'));
  const serialTlv = expectUniversal(serial, UniversalTag.INTEGER, 'serialNumber');
  const value = decodeInteger(serialTlv); // also checks the minimal encoding
  const raw = valueOf(serialTlv);
  return {
    hashAlgorithm,
    issuerNameHash: decodeOctetString(expectUniversal(nameHash, UniversalTag.OCTET_STRING, 'issuerNameHash')),
    issuerKeyHash: decodeOctetString(expectUniversal(keyHash, UniversalTag.OCTET_STRING, 'issuerKeyHash')),
    serial: raw,
    serialHex: value > 0n ? (raw[0] === 0 ? raw.subarray(1) : raw).toString('hex').toUpperCase() : null,
    der: encodingOf(node!),
  };
}

/**
 * Reads an OCSPRequest (RFC 6960 §4.1.1). The optional signature, requestorName and all
 * extensions (the nonce among them) are ignored: we answer with pre-signed responses that
 * carry no nonce (RFC 5019 §2.2, §4). Throws DerError when the request is malformed; the
 * responder answers malformedRequest.
 */
export function parseOcspRequest(der: Buffer): OcspRequest {
  const [tbs, signature, ...extra] = readChildren(expectUniversal(readDer(der), UniversalTag.SEQUENCE, 'OCSPRequest'));
  if (extra.length > 0 || (signature !== undefined && !(isContext(signature, 0) && signature.constructed))) {
    throw new DerError('OCSPRequest has unexpected fields');
  }
  const fields = readChildren(expectUniversal(tbs, UniversalTag.SEQUENCE, 'TBSRequest'));
  let i = 0;
  const at = (tag: number) => fields[i] !== undefined && isContext(fields[i]!, tag) && fields[i]!.constructed;
  if (at(0)) {
    // version [0] EXPLICIT Version DEFAULT v1: only v1 (0) exists.
    if (decodeSmallInteger(expectUniversal(readExplicit(fields[i]!), UniversalTag.INTEGER, 'version')) !== 0) {
      throw new DerError('unsupported OCSPRequest version');
    }
    i++;
  }
  if (at(1)) i++; // requestorName [1]
  const list = expectUniversal(fields[i++], UniversalTag.SEQUENCE, 'requestList');
  if (at(2)) i++; // requestExtensions [2]
  if (i !== fields.length) throw new DerError('TBSRequest has unexpected fields');
  const requests = readChildren(list);
  if (requests.length === 0) throw new DerError('requestList is empty');
  if (requests.length > MAX_REQUESTS_PER_OCSP_REQUEST) throw new DerError('too many requests');
  const certIds = requests.map((r) => {
    const [certId, exts, ...more] = readChildren(expectUniversal(r, UniversalTag.SEQUENCE, 'Request'));
    if (more.length > 0 || (exts !== undefined && !(isContext(exts, 0) && exts.constructed))) {
      throw new DerError('Request has unexpected fields');
    }
    return readCertId(certId);
  });
  return { certIds };
}

// ---- Building ----

/** What CertIDs of one issuer hash to, for one hash algorithm (RFC 6960 §4.1.1). */
export interface IssuerHashes {
  nameHash: Buffer;
  keyHash: Buffer;
}

/**
 * issuerNameHash: hash of the DER of the issuer's subject Name; issuerKeyHash: hash of its
 * subjectPublicKey BIT STRING value, without tag, length and unused-bits octet (§4.1.1).
 */
export function computeIssuerHashes(issuer: { subjectDer: Buffer; spki: Buffer }, hash: CertIdHash): IssuerHashes {
  return {
    nameHash: createHash(hash).update(issuer.subjectDer).digest(),
    keyHash: createHash(hash).update(subjectPublicKeyBits(issuer.spki)).digest(),
  };
}

/** CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber } with NULL parameters, as OpenSSL writes it. */
export function encodeCertId(hashAlgorithm: string, hashes: IssuerHashes, serial: Buffer): Buffer {
  return sequence(
    sequence(oid(hashAlgorithm), nullValue()),
    octetString(hashes.nameHash),
    octetString(hashes.keyHash),
    integer(serial),
  );
}

/** An OCSPRequest for these CertIDs, unsigned and without extensions (for tests and benchmarks). */
export function buildOcspRequest(certIds: readonly Buffer[]): Buffer {
  return sequence(sequence(sequence(...certIds.map((c) => sequence(c)))));
}

export type OcspCertStatus =
  | { kind: 'good' }
  /** reason: RFC 5280 CRLReason code; null (or 0, unspecified) leaves revocationReason out (BR §7.2.2, §7.3). */
  | { kind: 'revoked'; revokedAt: number; reason: number | null }
  | { kind: 'unknown' };

export interface SingleResponseSpec {
  /** The CertID DER to answer for. */
  certId: Buffer;
  status: OcspCertStatus;
  thisUpdate: number;
  nextUpdate: number;
}

/** The responder: the issuing CA's key (its certificate is the one the client names as issuer). */
export interface OcspResponderKey {
  spki: Buffer;
  signer: Signer;
}

const ENUMERATED = 0x0a;

function enumerated(n: number): Buffer {
  return tlv(ENUMERATED, Buffer.from([n]));
}

// CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT UnknownInfo }.
const GOOD = Buffer.from([0x80, 0x00]);
const UNKNOWN = Buffer.from([0x82, 0x00]);

function encodeCertStatus(status: OcspCertStatus): Buffer {
  switch (status.kind) {
    case 'good':
      return GOOD;
    case 'unknown':
      return UNKNOWN;
    case 'revoked': {
      // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
      const parts = [generalizedTime(status.revokedAt)];
      if (status.reason !== null && status.reason !== 0) parts.push(explicit(0, enumerated(status.reason)));
      const revokedInfo = sequence(...parts);
      revokedInfo[0] = 0xa1; // [1] IMPLICIT over the SEQUENCE: constructed context tag 1
      return revokedInfo;
    }
  }
}

function encodeSingleResponse(r: SingleResponseSpec): Buffer {
  // nextUpdate [0] EXPLICIT GeneralizedTime; singleExtensions none.
  return sequence(
    r.certId,
    encodeCertStatus(r.status),
    generalizedTime(r.thisUpdate),
    explicit(0, generalizedTime(r.nextUpdate)),
  );
}

const responderIds = new WeakMap<Buffer, Buffer>();

/** ResponderID byKey [2] EXPLICIT KeyHash: SHA-1 of the responder's subjectPublicKey (RFC 6960 §4.2.1; RFC 5019 §2.2.2). */
function responderIdByKey(spki: Buffer): Buffer {
  let id = responderIds.get(spki);
  if (!id) {
    id = explicit(2, octetString(computeKeyId(spki)));
    responderIds.set(spki, id);
  }
  return id;
}

/**
 * A successful OCSPResponse holding a BasicOCSPResponse signed by `responder` (RFC 6960
 * §4.2.1): version v1 (omitted, the DEFAULT), responderID byKey, producedAt, one
 * SingleResponse per entry, no response extensions and no certificates (the signer is the
 * issuer itself, which the client already has).
 */
export function buildOcspResponse(
  responder: OcspResponderKey,
  producedAt: number,
  responses: readonly SingleResponseSpec[],
): Buffer {
  if (responses.length === 0) throw new CertError('internal', 'an OCSP response needs at least one SingleResponse');
  const tbs = sequence(
    responderIdByKey(responder.spki),
    generalizedTime(producedAt),
    sequence(...responses.map(encodeSingleResponse)),
  );
  const basic = sequence(tbs, responder.signer.signatureAlgorithm, bitString(responder.signer.sign(tbs)));
  return sequence(
    enumerated(OCSP_RESPONSE_STATUS.successful),
    explicit(0, sequence(oid(OID_OCSP_BASIC), octetString(basic))),
  );
}

/**
 * One OCSPResponse per serial, all of one issuer, with the same status, producedAt and
 * validity: what buildOcspResponse makes for each, byte for byte (a SHA-1 CertID, as RFC 5019
 * §2.1.1 has clients ask). For a batch of revocations or a refresh run, the parts the
 * responses share (responderID, times, status, the CertID's hashes) are encoded once, so
 * each response costs its serial, its signature and the enclosing lengths.
 */
export function buildOcspResponsesForSerials(
  responder: OcspResponderKey,
  certIdHead: { hashAlgorithm: string; hashes: IssuerHashes },
  producedAt: number,
  serials: readonly Buffer[],
  status: OcspCertStatus,
  thisUpdate: number,
  nextUpdate: number,
): Buffer[] {
  const { tbs, assemble } = ocspTbsForSerials(
    responder,
    certIdHead,
    producedAt,
    serials,
    status,
    thisUpdate,
    nextUpdate,
  );
  return tbs.map((t) => assemble(t, responder.signer.sign(t)));
}

/**
 * buildOcspResponsesForSerials in two steps, for signing elsewhere (ca/signing-thread.ts): the
 * ResponseData of each serial, and `assemble`, which wraps one with its signature.
 */
export function ocspTbsForSerials(
  responder: OcspResponderKey,
  certIdHead: { hashAlgorithm: string; hashes: IssuerHashes },
  producedAt: number,
  serials: readonly Buffer[],
  status: OcspCertStatus,
  thisUpdate: number,
  nextUpdate: number,
): { tbs: Buffer[]; assemble: (tbs: Buffer, signature: Buffer) => Buffer } {
  const head = [
    sequence(oid(certIdHead.hashAlgorithm), nullValue()),
    octetString(certIdHead.hashes.nameHash),
    octetString(certIdHead.hashes.keyHash),
  ];
  const tail = [encodeCertStatus(status), generalizedTime(thisUpdate), explicit(0, generalizedTime(nextUpdate))];
  const responderId = responderIdByKey(responder.spki);
  const produced = generalizedTime(producedAt);
  const algorithm = responder.signer.signatureAlgorithm;
  const successful = enumerated(OCSP_RESPONSE_STATUS.successful);
  const basicType = oid(OID_OCSP_BASIC);
  const tbs = serials.map((serial) => {
    const certId = tlvOf(0x30, [...head, integer(serial)]);
    const single = tlvOf(0x30, [certId, ...tail]);
    return tlvOf(0x30, [responderId, produced, tlvOf(0x30, [single])]);
  });
  const assemble = (t: Buffer, signature: Buffer) => {
    const basic = tlvOf(0x30, [t, algorithm, bitString(signature)]);
    return tlvOf(0x30, [successful, explicit(0, tlvOf(0x30, [basicType, octetString(basic)]))]);
  };
  return { tbs, assemble };
}

const ERROR_RESPONSES = new Map<OcspErrorStatus, Buffer>(
  (Object.keys(OCSP_RESPONSE_STATUS) as Array<keyof typeof OCSP_RESPONSE_STATUS>)
    .filter((k): k is OcspErrorStatus => k !== 'successful')
    .map((k) => [k, sequence(enumerated(OCSP_RESPONSE_STATUS[k]))]),
);

/** An unsuccessful OCSPResponse: the status alone, no responseBytes and no signature (RFC 6960 §2.3, §4.2.1). */
export function ocspErrorResponse(status: OcspErrorStatus): Buffer {
  return ERROR_RESPONSES.get(status)!;
}
