// Parameters that carry keys, certificates or CSRs never reach a log (
// Alibaba Cloud CAS API reference (2020-04-07): PEMs and private keys travel in the URL).
const SENSITIVE = new Set([
  'Csr',
  'Key',
  'Cert',
  'PrivateKey',
  'SignCert',
  'SignPrivateKey',
  'EncryptCert',
  'EncryptPrivateKey',
  'Plaintext',
  'CiphertextBlob',
  'Message',
]);

export function redactParams(params: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params)
    out[k] = SENSITIVE.has(k) ? `[redacted ${v.length} chars]` : v.length > 256 ? `${v.slice(0, 256)}…` : v;
  return out;
}
