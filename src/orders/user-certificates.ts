// The SSL certificate repository (Alibaba Cloud CAS API reference): GetUserCertificateDetail,
// UploadUserCertificate and DeleteUserCertificate work on issued and uploaded certificates.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import { fromPem } from '../crypto/pem.js';
import { certificateFacts, uploadKeyAad, type Certificate } from '../domain/certificate.js';
import { openOrderKey } from './order-key.js';
import type { UseCaseDeps } from './deps.js';

export interface CertificateDetail {
  certificate: Certificate;
  x509: X509Certificate;
  chain: X509Certificate[];
  privateKeyDer: Buffer | undefined;
}

export async function getUserCertificate(
  deps: UseCaseDeps<'ca' | 'sealer', never, 'certificates' | 'orders'>,
  accountId: number,
  certId: number,
  withKey: boolean,
): Promise<CertificateDetail> {
  const cert = await deps.store.repos.certificates.get(accountId, certId);
  if (!cert || !cert.certDer) throw new CertError('not_found', `The certificate ${certId} does not exist.`);
  const x509 = new X509Certificate(Buffer.from(cert.certDer, 'base64'));
  const chain =
    cert.source === 'upload'
      ? fromPem(cert.chainPem ?? '', 'CERTIFICATE').map((d) => new X509Certificate(d))
      : fromPem(deps.ca.chainPem(cert.issuerId ?? deps.ca.id), 'CERTIFICATE').map((d) => new X509Certificate(d));
  let privateKeyDer: Buffer | undefined;
  if (withKey) {
    if (cert.source === 'upload' && cert.keySealed)
      privateKeyDer = deps.sealer.open(cert.keySealed, uploadKeyAad(cert.id));
    if (cert.source === 'issued' && cert.orderId !== null) {
      const order = await deps.store.repos.orders.getById(cert.orderId);
      if (order?.keySealed) privateKeyDer = openOrderKey(deps.sealer, order, order.keySealed);
    }
  }
  return { certificate: cert, x509, chain, privateKeyDer };
}

function subjectField(x: X509Certificate, attr: string): string {
  const m = new RegExp(`(?:^|\\n)${attr}=([^\\n]*)`).exec(x.subject);
  return m?.[1] ?? '';
}

function dnsNamesOf(x: X509Certificate): string[] {
  return (x.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}

export async function uploadUserCertificate(
  deps: UseCaseDeps<'clock' | 'sealer', 'certificates'>,
  accountId: number,
  input: { name: string; certPem: string; keyPem: string },
): Promise<{ certId: number }> {
  const name = input.name.trim();
  if (name === '' || name.length > 64) throw new CertError('invalid_parameter', 'Name must be 1 to 64 characters.');
  const ders = fromPem(input.certPem, 'CERTIFICATE');
  if (ders.length === 0) throw new CertError('bad_certificate', 'Cert must hold at least one PEM certificate.');
  let leaf: X509Certificate;
  let chain: X509Certificate[];
  try {
    [leaf, ...chain] = ders.map((d) => new X509Certificate(d)) as [X509Certificate, ...X509Certificate[]];
  } catch {
    throw new CertError('bad_certificate', 'Cert is not a valid X.509 certificate.');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(input.keyPem);
  } catch {
    throw new CertError('bad_key', 'Key is not a readable PEM private key.');
  }
  // The repository holds end-entity certificates (UploadUserCertificate, Alibaba Cloud CAS API
  // reference: an SSL certificate and its key); a CA certificate with its key there would be a
  // signing key kept as a "certificate" (RFC 5280 §4.2.1.9: cA=TRUE marks a CA).
  if (leaf.ca)
    throw new CertError(
      'bad_certificate',
      'Cert is a CA certificate (basicConstraints cA=TRUE); upload the server certificate first.',
    );
  if (!leaf.checkPrivateKey(key))
    throw new CertError('bad_certificate', 'The private key does not match the certificate.');
  // CertificateChainNotMatch would be the CAS code for a chain whose links do not sign each other (UploadUserCertificate error codes).
  for (let i = 0; i < chain.length; i++) {
    const child = i === 0 ? leaf : chain[i - 1]!;
    if (!child.checkIssued(chain[i]!) || !child.verify(chain[i]!.publicKey)) {
      throw new CertError('bad_certificate', 'The certificates after the first do not form its issuing chain.');
    }
  }
  const der = ders[0]!;
  const facts = certificateFacts(der);
  const now = deps.clock.now();
  const sans = dnsNamesOf(leaf);
  const id = await deps.store.writeTransaction(async (repos) => {
    if (await repos.certificates.nameTaken(accountId, name))
      throw new CertError('already_exists', `A certificate named "${name}" already exists.`);
    const cert = await repos.certificates.insert({
      accountId,
      orderId: null,
      source: 'upload',
      name,
      serial: leaf.serialNumber.toUpperCase(),
      issuerId: null,
      state: 'issued',
      tbsDer: null,
      certDer: der.toString('base64'),
      chainPem: chain.map((c) => c.toString()).join(''),
      keySealed: null,
      commonName: subjectField(leaf, 'CN') || sans[0] || '',
      sans,
      issuerCn: /CN=([^\n]+)/.exec(leaf.issuer)?.[1] ?? leaf.issuer,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
      sha1: facts.sha1,
      sha256: facts.sha256,
      orgName: subjectField(leaf, 'O'),
      country: subjectField(leaf, 'C'),
      province: subjectField(leaf, 'ST'),
      city: subjectField(leaf, 'L'),
      revokedAt: null,
      revocationReason: null,
      deletedAt: null,
      createdAt: now,
      crlShard: null,
    });
    await repos.certificates.setKeySealed(
      cert.id,
      deps.sealer.seal(key.export({ format: 'der', type: 'pkcs8' }), uploadKeyAad(cert.id)),
    );
    return cert.id;
  });
  return { certId: id };
}

/** DeleteUserCertificate: uploaded certificates, and issued ones that expired (or were revoked). */
export async function deleteUserCertificate(
  deps: UseCaseDeps<'clock', 'certificates'>,
  accountId: number,
  certId: number,
): Promise<void> {
  const cert = await deps.store.repos.certificates.get(accountId, certId);
  if (!cert) throw new CertError('not_found', `The certificate ${certId} does not exist.`);
  const now = deps.clock.now();
  if (cert.source === 'issued' && cert.notAfter >= now && cert.revokedAt === null) {
    throw new CertError(
      'illegal_state',
      `The certificate ${certId} is still valid: only uploaded, expired or revoked certificates can be deleted.`,
    );
  }
  await deps.store.repos.certificates.markDeleted(certId, now);
}
