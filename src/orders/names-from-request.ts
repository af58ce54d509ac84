// Which names an application certifies, from its Domain parameter, its CSR, or both
// (CAS API reference, certificate order actions: "If both Csr and Domain are given, the CSR's CN wins").
import { CertError } from '../domain/errors.js';
import type { ParsedCsr } from '../ca/csr.js';
import { checkNamesForProduct, MAX_NAMES, normalizeDomainName, parseDomainList } from '../policy/names.js';
import type { Product } from '../policy/products.js';

function csrNames(csr: ParsedCsr): { commonName: string | undefined; sans: string[] } {
  if (csr.ipAddresses.length > 0)
    throw new CertError('name_rejected', 'The CSR asks for an IP address; certdesk certifies domain names only.');
  if (csr.otherSanTypes.length > 0) {
    throw new CertError(
      'name_rejected',
      `The CSR asks for ${csr.otherSanTypes.join(', ')} names; certdesk certifies domain names only.`,
    );
  }
  const commonName =
    csr.commonName === undefined || csr.commonName === '' ? undefined : normalizeDomainName(csr.commonName);
  return { commonName, sans: csr.dnsNames.map(normalizeDomainName) };
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

/**
 * - Domain only: the listed names.
 * - Csr only: the CSR's CN first, then its SANs.
 * - Both: the Domain list with the CSR's CN moved first; the CN and every SAN of the CSR
 *   must be among the listed domains (a CSR for other names is refused, not silently widened).
 */
export function namesForApplication(
  product: Product,
  domainParam: string | undefined,
  csr: ParsedCsr | undefined,
): string[] {
  if (!csr) {
    if (!domainParam) throw new CertError('missing_parameter', 'Either Domain or Csr is required.');
    return parseDomainList(domainParam, product);
  }
  const fromCsr = csrNames(csr);
  if (domainParam) {
    const listed = parseDomainList(domainParam, product);
    const cn = fromCsr.commonName ?? fromCsr.sans[0];
    if (cn === undefined) throw new CertError('bad_csr', 'The CSR names no domain (no CN and no DNS SAN).');
    if (!listed.includes(cn))
      throw new CertError(
        'name_rejected',
        `The CSR's common name "${cn.slice(0, 100)}" is not among the domains of the application.`,
      );
    const outside = fromCsr.sans.find((n) => !listed.includes(n));
    if (outside)
      throw new CertError(
        'name_rejected',
        `The CSR names "${outside.slice(0, 100)}", which is not among the domains of the application.`,
      );
    return [cn, ...listed.filter((n) => n !== cn)];
  }
  const names = unique([...(fromCsr.commonName ? [fromCsr.commonName] : []), ...fromCsr.sans]);
  if (names.length === 0) throw new CertError('bad_csr', 'The CSR names no domain (no CN and no DNS SAN).');
  if (names.length > MAX_NAMES)
    throw new CertError('invalid_parameter', `At most ${MAX_NAMES} domain names are allowed.`);
  checkNamesForProduct(names, product);
  return names;
}
