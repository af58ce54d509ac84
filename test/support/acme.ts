// Shared steps of the ACME end-to-end tests: certdesk with its ACME listener on loopback and
// the challenge server, EAB credentials, and the customer's side of validation.
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from '@peculiar/asn1-x509';
import type { Certdesk } from './harness.js';
import type { ChallengeServer } from '../challenge-server.js';
import { CAA_IDENTITY } from './orders.js';
import { startCertdesk } from './harness.js';
import { startChallengeServer } from '../challenge-server.js';
import type { AcmeTestClient } from './acme-client.js';
import { createEabKey } from '../../src/orders/acme/eab.js';
import { buildCsr } from '../../src/ca/csr-builder.js';
import { toPem } from '../../src/crypto/pem.js';

export async function startAcmeCertdesk(extra: Record<string, string | boolean> = {}) {
  const cs = await startChallengeServer();
  const cd = await startCertdesk({
    'dns-resolver': cs.dnsAddress,
    'http-validation-port': String(cs.httpPort),
    'tls-alpn-validation-port': String(cs.tlsAlpnPort),
    'allow-private-validation-targets': true,
    'caa-identity': CAA_IDENTITY,
    ...extra,
  });
  const rootPem = toPem('CERTIFICATE', cd.server.hierarchy.root.certDer);
  return { cd, cs, rootPem, directoryUrl: `${cd.server.acmeListenUrl}/acme/directory` };
}

export function eabFor(cd: Certdesk, accountId: number, productCode: string, maxAccounts = 1) {
  return createEabKey(
    { store: cd.ctx.store, clock: cd.ctx.clock, random: cd.ctx.random, sealer: cd.ctx.sealer },
    { accountId, productCode, maxAccounts },
  );
}

/** Proves every pending authorization of an order: http-01 where offered (unless `dns`), else dns-01. */
export async function solve(cs: ChallengeServer, c: AcmeTestClient, order: any, prefer: 'http-01' | 'dns-01') {
  for (const url of order.authorizations as string[]) {
    const authz = (await c.post(url, '')).body;
    if (authz.status === 'valid') continue;
    const ch =
      authz.challenges.find((x: any) => x.type === prefer) ?? authz.challenges.find((x: any) => x.type === 'dns-01');
    const name = authz.identifier.value as string;
    if (ch.type === 'http-01') {
      cs.setA(name, ['127.0.0.1']);
      cs.setHttp(name, `/.well-known/acme-challenge/${ch.token}`, { body: await c.keyAuthorization(ch.token) });
    } else {
      cs.setTxt(`_acme-challenge.${name}`, [await c.dns01Value(ch.token)]);
    }
    const started = await c.post(ch.url, {});
    assert.equal(started.status, 200, started.text);
    assert.match(started.headers.get('link') ?? '', new RegExp(`<${url}>;rel="up"`));
  }
}

export function csrFor(names: string[]) {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return { key, der: buildCsr({ privateKey: key, subject: [['2.5.4.3', names[0]!]], dnsNames: names }) };
}

/** RFC 9773 §4.1 certID of a PEM certificate: base64url(AKI keyIdentifier) "." base64url(serial). */
export function certIdOf(pem: string): string {
  const parsed = AsnConvert.parse(new X509Certificate(pem.split(/(?=-----BEGIN)/)[0]!).raw, Certificate);
  const akiExt = parsed.tbsCertificate.extensions!.find((e) => e.extnID === id_ce_authorityKeyIdentifier)!;
  const aki = AsnConvert.parse(akiExt.extnValue, AuthorityKeyIdentifier).keyIdentifier!;
  const serial = Buffer.from(parsed.tbsCertificate.serialNumber);
  return `${Buffer.from(aki.buffer).toString('base64url')}.${serial.toString('base64url')}`;
}

/** newOrder, challenges by `prefer`, finalize with a fresh key, download: the PEM chain and the order URL. */
export async function issueWith(
  cs: ChallengeServer,
  c: AcmeTestClient,
  names: string[],
  extra: Record<string, unknown> = {},
): Promise<{ pem: string; orderUrl: string }> {
  const order = await c.newOrder(names, extra);
  assert.equal(order.status, 201, order.text);
  await solve(cs, c, order.body, 'http-01');
  const orderUrl = order.headers.get('location')!;
  const ready = await c.poll(orderUrl, (o) => o.status === 'ready');
  const fin = await c.post(ready.body.finalize, { csr: csrFor(names).der.toString('base64url') });
  assert.equal(fin.status, 200, fin.text);
  const valid = await c.poll(orderUrl, (o) => o.status === 'valid');
  return { pem: (await c.post(valid.body.certificate, '')).text, orderUrl };
}
