// The CA hierarchy is created on first start (issue 2, item 8): a root and one issuing
// intermediate, private keys sealed under the master key. When several processes start
// at once on one database, the unique issuer names let exactly one insert win; the others
// load what it wrote.
import { createHierarchy, loadIssuer, type Issuer, type IssuerMaterial } from '../ca/hierarchy.js';
import { parseKeyAlgorithm } from '../ca/signer.js';
import type { Clock, Logger, RandomSource, SecretSealer } from '../domain/ports.js';
import type { Store } from '../store/store.js';
import type { IssuerRow } from '../store/schema.js';

export interface CaHierarchy {
  root: Issuer;
  issuing: Issuer;
  issuingId: number;
  rootId: number;
}

const ROOT_NAME = 'root-1';
const ISSUING_NAME = 'issuing-1';

function keyAad(name: string): string {
  return `issuer:${name}`;
}

async function insertHierarchy(
  store: Store,
  sealer: SecretSealer,
  now: number,
  m: { root: IssuerMaterial; issuing: IssuerMaterial },
): Promise<void> {
  await store.writeTransaction(async (repos) => {
    const root = await repos.issuers.insert({
      role: 'root',
      name: ROOT_NAME,
      algorithm: m.root.algorithm,
      cert_der: m.root.certDer.toString('base64'),
      key_sealed: sealer.seal(m.root.privateKeyPkcs8Der, keyAad(ROOT_NAME)),
      parent_id: null,
      active: 1,
      created_at: now,
    });
    await repos.issuers.insert({
      role: 'issuing',
      name: ISSUING_NAME,
      algorithm: m.issuing.algorithm,
      cert_der: m.issuing.certDer.toString('base64'),
      key_sealed: sealer.seal(m.issuing.privateKeyPkcs8Der, keyAad(ISSUING_NAME)),
      parent_id: root.id,
      active: 1,
      created_at: now,
    });
  });
}

function toIssuer(row: IssuerRow, sealer: SecretSealer): Issuer {
  return loadIssuer(Buffer.from(row.cert_der, 'base64'), sealer.open(row.key_sealed, keyAad(row.name)));
}

export async function loadHierarchy(store: Store, sealer: SecretSealer): Promise<CaHierarchy | undefined> {
  const rows = await store.repos.issuers.listActive();
  const root = rows.find((r) => r.role === 'root');
  const issuing = rows.find((r) => r.role === 'issuing');
  if (!root || !issuing) return undefined;
  return { root: toIssuer(root, sealer), issuing: toIssuer(issuing, sealer), rootId: root.id, issuingId: issuing.id };
}

export async function ensureHierarchy(deps: {
  store: Store;
  sealer: SecretSealer;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  algorithm: string;
  publicUrl: string;
}): Promise<CaHierarchy> {
  const existing = await loadHierarchy(deps.store, deps.sealer);
  if (existing) return existing;
  const material = await createHierarchy({
    algorithm: parseKeyAlgorithm(deps.algorithm),
    now: deps.clock.now(),
    random: deps.random,
    publicUrl: deps.publicUrl,
  });
  try {
    await insertHierarchy(deps.store, deps.sealer, deps.clock.now(), material);
    deps.logger.log('info', 'created CA hierarchy', { algorithm: material.root.algorithm });
  } catch (e) {
    // Another process won the race (unique issuer names); use its hierarchy.
    const theirs = await loadHierarchy(deps.store, deps.sealer);
    if (theirs) return theirs;
    throw e;
  }
  const created = await loadHierarchy(deps.store, deps.sealer);
  if (!created) throw new Error('CA hierarchy vanished after creation');
  return created;
}
