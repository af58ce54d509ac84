// The SSL certificate repository (CAS doc §5.3): GetUserCertificateDetail,
// UploadUserCertificate and DeleteUserCertificate work on issued and uploaded certificates.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import { fromPem } from '../crypto/pem.js';
import type { CertificateRow } from '../store/schema.js';
import type { OrderDeps } from './deps.js';
import { certificateFacts } from './issue-certificate.js';
import { orderKeyAad } from './submit-application.js';

export function uploadKeyAad(certId: number): string {
  return `cert-key:${certId}`;
}

export interface CertificateDetail {
  row: CertificateRow;
  x509: X509Certificate;
  chain: X509Certificate[];
  privateKeyDer: Buffer | undefined;
}

export async function getUserCertificate(
  deps: OrderDeps,
  accountId: number,
  certId: number,
  withKey: boolean,
): Promise<CertificateDetail> {
  const row = await deps.store.repos.certificates.get(accountId, certId);
  if (!row || !row.cert_der) throw new CertError('not_found', `The certificate ${certId} does not exist.`);
  const x509 = new X509Certificate(Buffer.from(row.cert_der, 'base64'));
  const chain =
    row.source === 'upload'
      ? fromPem(row.chain_pem ?? '', 'CERTIFICATE').map((d) => new X509Certificate(d))
      : fromPem(deps.ca.chainPem(row.issuer_id ?? deps.ca.id), 'CERTIFICATE').map((d) => new X509Certificate(d));
  let privateKeyDer: Buffer | undefined;
  if (withKey) {
    if (row.source === 'upload' && row.key_sealed)
      privateKeyDer = deps.sealer.open(row.key_sealed, uploadKeyAad(row.id));
    if (row.source === 'issued' && row.order_id !== null) {
      const order = await deps.store.repos.orders.getById(row.order_id);
      if (order?.key_sealed) privateKeyDer = deps.sealer.open(order.key_sealed, orderKeyAad(order.id));
    }
  }
  return { row, x509, chain, privateKeyDer };
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
  deps: OrderDeps,
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
  // CertificateChainNotMatch would be the CAS code for a chain whose links do not sign each other (CAS doc §9).
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
    const row = await repos.certificates.insert({
      account_id: accountId,
      order_id: null,
      source: 'upload',
      name,
      serial: leaf.serialNumber.toUpperCase(),
      issuer_id: null,
      state: 'issued',
      tbs_der: null,
      cert_der: der.toString('base64'),
      chain_pem: chain.map((c) => c.toString()).join(''),
      key_sealed: null,
      common_name: subjectField(leaf, 'CN') || sans[0] || '',
      sans: sans.join(','),
      issuer_cn: /CN=([^\n]+)/.exec(leaf.issuer)?.[1] ?? leaf.issuer,
      not_before: facts.notBefore,
      not_after: facts.notAfter,
      sha1: facts.sha1,
      sha256: facts.sha256,
      org_name: subjectField(leaf, 'O'),
      country: subjectField(leaf, 'C'),
      province: subjectField(leaf, 'ST'),
      city: subjectField(leaf, 'L'),
      revoked_at: null,
      revocation_reason: null,
      deleted_at: null,
      created_at: now,
    });
    await repos.certificates.update(row.id, {
      key_sealed: deps.sealer.seal(key.export({ format: 'der', type: 'pkcs8' }), uploadKeyAad(row.id)),
    });
    return row.id;
  });
  return { certId: id };
}

/** CAS doc §5.3: uploaded certificates, and issued ones that expired (or were revoked). */
export async function deleteUserCertificate(deps: OrderDeps, accountId: number, certId: number): Promise<void> {
  const row = await deps.store.repos.certificates.get(accountId, certId);
  if (!row) throw new CertError('not_found', `The certificate ${certId} does not exist.`);
  const now = deps.clock.now();
  if (row.source === 'issued' && row.not_after >= now && row.revoked_at === null) {
    throw new CertError(
      'illegal_state',
      `The certificate ${certId} is still valid: only uploaded, expired or revoked certificates can be deleted.`,
    );
  }
  await deps.store.repos.certificates.update(certId, { deleted_at: now });
}
