// The measurements behind docs/decisions/0001..0003: certdesk's hand-written DER reader and
// writer against @peculiar/asn1-schema (asn1js underneath), and its JSON logger against
// pino, on the same inputs in the same process, alternating, so a busy machine slows both
// alike. Prints numbers only.
//
//   node --import tsx bench/libraries.ts [rounds]

import crypto from 'node:crypto';
import { openSync, writeSync } from 'node:fs';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import {
  AlgorithmIdentifier,
  Extension,
  Extensions,
  GeneralName,
  GeneralNames,
  Name,
  SubjectAlternativeName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import { pino } from 'pino';
import { buildCsr } from '../src/ca/csr-builder.js';
import { parseCsr } from '../src/ca/csr.js';
import { createHierarchy, loadIssuer } from '../src/ca/hierarchy.js';
import { prepareLeafTbs, type LeafIssuer } from '../src/ca/leaf-profile.js';
import { generateSerial } from '../src/ca/serial.js';
import { OID, encodeName } from '../src/ca/x509.js';
import { createJsonLogger } from '../src/app/logger.js';

const rounds = Number(process.argv[2] ?? 3);
const random = { bytes: (n: number) => crypto.randomBytes(n) };

function perOp(fn: (i: number) => void, n: number): number {
  for (let i = 0; i < Math.min(n, 500); i++) fn(i); // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t) / n / 1000; // µs
}

/** perOp for an async operation (parseCsr), each awaited before the next. */
async function perOpAsync(fn: (i: number) => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < Math.min(n, 500); i++) await fn(i); // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - t) / n / 1000; // µs
}

/** A copy in an ArrayBuffer of its own: asn1js keeps views, and a pooled Buffer's ArrayBuffer is 8 KiB of others' bytes. */
function own(b: Buffer): ArrayBuffer {
  return new Uint8Array(b).buffer;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function report(what: string, ours: number[], theirs: number[], theirName: string): void {
  const o = median(ours);
  const t = median(theirs);
  console.log(
    `${what.padEnd(46)} certdesk ${o.toFixed(2).padStart(7)} µs   ${theirName} ${t.toFixed(2).padStart(7)} µs   (${(t / o).toFixed(2)}x)`,
  );
}

// ---- inputs ----
const csrs: Buffer[] = Array.from({ length: 200 }, (_, i) => {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = `www.site-${i}.example.com`;
  return buildCsr({ privateKey, subject: [[OID.commonName, name]], dnsNames: [name, `site-${i}.example.com`] });
});

const csrsOwn = csrs.map((c) => Buffer.from(own(c)));

/** The same job as parseCsr with the reference library: fields, key import, signature check. */
function referenceParse(der: Buffer): { names: string[]; ok: boolean } {
  const csr = AsnConvert.parse(der, CertificationRequest);
  const names: string[] = [];
  for (const attr of csr.certificationRequestInfo.attributes)
    for (const v of attr.values)
      for (const ext of AsnConvert.parse(v, Extensions))
        if (ext.extnID === id_ce_subjectAltName)
          for (const gn of AsnConvert.parse(ext.extnValue, GeneralNames)) if (gn.dNSName) names.push(gn.dNSName);
  const spki = Buffer.from(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo));
  const p = Buffer.from(spki.subarray(spki.length - 64));
  const key = crypto.createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: p.subarray(0, 32).toString('base64url'),
      y: p.subarray(32).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = crypto.verify('sha256', Buffer.from(csr.certificationRequestInfoRaw!), key, Buffer.from(csr.signature));
  return { names, ok };
}

/** Only the structure: every field read, no crypto. */
function referenceStructure(der: Buffer): number {
  const csr = AsnConvert.parse(der, CertificationRequest);
  let n = 0;
  for (const attr of csr.certificationRequestInfo.attributes)
    for (const v of attr.values)
      for (const ext of AsnConvert.parse(v, Extensions))
        if (ext.extnID === id_ce_subjectAltName) n += AsnConvert.parse(ext.extnValue, GeneralNames).length;
  return n;
}

const { issuing } = await createHierarchy({ algorithm: 'ecdsa-p256', now: Date.now(), random });
const issuer = loadIssuer(issuing.certDer, issuing.privateKeyPkcs8Der);
const li: LeafIssuer = {
  issuer,
  caIssuersUrl: 'http://pki.example/ca/issuing.cer',
  crlUrl: 'http://pki.example/crl/issuing.crl',
  ocspUrl: 'http://pki.example/ocsp',
};
const spkis = await Promise.all(csrs.map(async (d) => (await parseCsr(d)).spki));

// The reference TBS: the same fields as prepareLeafTbs, constant parts built once (as ours does).
const constantExtensions: Extension[] = (() => {
  const tbs = prepareLeafTbs(li, {
    serial: generateSerial(random),
    notBefore: Date.now(),
    notAfter: Date.now() + 86_400_000,
    spki: spkis[0]!,
    dnsNames: ['x.example'],
    policy: 'dv',
    keyType: 'ec',
  });
  const parsed = AsnConvert.parse(own(tbs), TBSCertificate);
  return (parsed.extensions ?? [])
    .filter((e) => e.extnID !== id_ce_subjectAltName)
    .map((e) => AsnConvert.parse(own(Buffer.from(AsnConvert.serialize(e))), Extension));
})();
const issuerName = AsnConvert.parse(own(issuer.subjectDer), Name);
const sigAlg = AsnConvert.parse(own(issuer.signer.signatureAlgorithm), AlgorithmIdentifier);

function referenceTbs(i: number): Buffer {
  const names = [`www.site-${i}.example.com`, `site-${i}.example.com`];
  const now = Date.now();
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: own(generateSerial(random)),
    signature: sigAlg,
    issuer: issuerName,
    validity: new Validity({ notBefore: new Date(now), notAfter: new Date(now + 90 * 86_400_000) }),
    subject: AsnConvert.parse(own(encodeName([[OID.commonName, names[0]!]])), Name),
    subjectPublicKeyInfo: AsnConvert.parse(own(spkis[i % spkis.length]!), SubjectPublicKeyInfo),
    extensions: new Extensions([
      ...constantExtensions.slice(0, 4),
      new Extension({
        extnID: id_ce_subjectAltName,
        critical: false,
        extnValue: new OctetString(
          AsnConvert.serialize(new SubjectAlternativeName(names.map((n) => new GeneralName({ dNSName: n })))),
        ),
      }),
      ...constantExtensions.slice(4),
    ]),
  });
  return Buffer.from(AsnConvert.serialize(tbs));
}

function oursTbs(i: number): Buffer {
  const names = [`www.site-${i}.example.com`, `site-${i}.example.com`];
  const now = Date.now();
  return prepareLeafTbs(li, {
    serial: generateSerial(random),
    notBefore: now,
    notAfter: now + 90 * 86_400_000,
    spki: spkis[i % spkis.length]!,
    dnsNames: names,
    policy: 'dv',
    keyType: 'ec',
    subject: { commonName: names[0] },
  });
}

// Same structure from both (sizes equal): the comparison is like for like.
const [a, b] = [oursTbs(1), referenceTbs(1)];
console.log(`TBS sizes: certdesk ${a.length} bytes, reference ${b.length} bytes`);
if (Math.abs(a.length - b.length) > 4) throw new Error('the two TBS differ in structure');

// ---- strictness: inputs DER forbids (X.690 §10) ----
const base = csrs[0]!;
const lenOctets = base[1]! & 0x80 ? base[1]! & 0x7f : 0;
const bodyAt = 2 + lenOctets;
const body = base.subarray(bodyAt);
const cases: Array<[string, Buffer]> = [
  [
    'length in a needlessly long form',
    Buffer.concat([Buffer.from([0x30, 0x83, 0, (body.length >> 8) & 0xff, body.length & 0xff]), body]),
  ],
  ['indefinite length (BER)', Buffer.concat([Buffer.from([0x30, 0x80]), body, Buffer.from([0, 0])])],
  ['trailing bytes after the CSR', Buffer.concat([base, Buffer.from([0x00, 0x00])])],
];
console.log('\nstrictness (X.690 §10 DER rules): accepted by');
for (const [what, der] of cases) {
  let oursOk = true;
  let refOk = true;
  try {
    await parseCsr(der);
  } catch {
    oursOk = false;
  }
  try {
    referenceStructure(der);
  } catch {
    refOk = false;
  }
  console.log(`  ${what.padEnd(36)} certdesk ${oursOk ? 'yes' : 'no '}   @peculiar/asn1-csr ${refOk ? 'yes' : 'no'}`);
}

// ---- logger ----
// Both write each line to /dev/null with one synchronous write, as a log line to a pipe or file costs.
const devNull = openSync('/dev/null', 'w');
let bytes = 0;
const ourLogger = createJsonLogger('info', (l) => {
  bytes += writeSync(devNull, l);
});
const pinoLogger = pino(
  { level: 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
  pino.destination({ dest: '/dev/null', sync: true }),
);
const fields = { orderId: 12345, serial: '6FDBCF8C13BC1B5E330888F2315745A2', account: 7, ms: 12.5 };

console.log(`\nmedians of ${rounds} rounds, alternating:`);
const r: Record<string, number[]> = {};
const add = (k: string, v: number) => (r[k] ??= []).push(v);
for (let round = 0; round < rounds; round++) {
  add('parse', await perOpAsync((i) => parseCsr(csrsOwn[i % csrs.length]!), 3000));
  add(
    'parseRef',
    perOp((i) => referenceParse(csrsOwn[i % csrs.length]!), 3000),
  );
  add(
    'structRef',
    perOp((i) => referenceStructure(csrsOwn[i % csrs.length]!), 3000),
  );
  add('tbs', perOp(oursTbs, 5000));
  add('tbsRef', perOp(referenceTbs, 5000));
  add(
    'log',
    perOp((i) => ourLogger.log('info', 'certificate issued', { ...fields, i }), 20000),
  );
  add(
    'logRef',
    perOp((i) => pinoLogger.info({ ...fields, i }, 'certificate issued'), 20000),
  );
  add(
    'logOff',
    perOp((i) => ourLogger.log('debug', 'detail', { ...fields, i }), 20000),
  );
  add(
    'logOffRef',
    perOp((i) => pinoLogger.debug({ ...fields, i }, 'detail'), 20000),
  );
}
report('CSR read + key import + signature check', r.parse!, r.parseRef!, 'asn1-csr');
console.log(
  `${'  of which the reference structure alone'.padEnd(46)} ${''.padStart(19)}asn1-csr ${median(r.structRef!).toFixed(2).padStart(7)} µs`,
);
report('leaf TBS encoding (same fields)', r.tbs!, r.tbsRef!, 'asn1-x509');
report('log line written (info, 5 fields)', r.log!, r.logRef!, 'pino');
report('log call below the level (debug at info)', r.logOff!, r.logOffRef!, 'pino');
if (bytes === 0) throw new Error('logger wrote nothing');
