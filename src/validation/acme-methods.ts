// Which ACME challenge may validate which identifier, and the Baseline Requirements method
// each one is (the audit trail records it: BR §3.2.2.4 for domain names, §3.2.2.5 for IP
// addresses, "the CA SHALL maintain a record of which validation method ... was used").

export type AcmeChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01' | 'dns-account-01';
export type AcmeIdentifierType = 'dns' | 'ip';

export const ACME_CHALLENGE_TYPES: readonly AcmeChallengeType[] = [
  'http-01',
  'dns-01',
  'tls-alpn-01',
  'dns-account-01',
];

export const BR_METHOD_HTTP_01 = '3.2.2.4.19'; // Agreed-Upon Change to Website - ACME
export const BR_METHOD_DNS_01 = '3.2.2.4.7'; // DNS Change
export const BR_METHOD_TLS_ALPN_01 = '3.2.2.4.20'; // TLS Using ALPN
export const BR_METHOD_DNS_ACCOUNT_01 = '3.2.2.4.21'; // DNS Labeled with Account ID - ACME
export const BR_METHOD_HTTP_01_IP = '3.2.2.5.6'; // ACME "http-01" method for IP Addresses
export const BR_METHOD_TLS_ALPN_01_IP = '3.2.2.5.7'; // ACME "tls-alpn-01" method for IP Addresses

/** The BR section of each method; a missing entry means the pair is not allowed. */
const BR_METHODS: Record<AcmeIdentifierType, Partial<Record<AcmeChallengeType, string>>> = {
  dns: {
    'http-01': BR_METHOD_HTTP_01,
    'dns-01': BR_METHOD_DNS_01,
    'tls-alpn-01': BR_METHOD_TLS_ALPN_01,
    'dns-account-01': BR_METHOD_DNS_ACCOUNT_01,
  },
  // RFC 8738 §4: only http-01 and tls-alpn-01 are defined for IP identifiers; §7: dns-01
  // (and so dns-account-01) MUST NOT be used for them.
  ip: {
    'http-01': BR_METHOD_HTTP_01_IP,
    'tls-alpn-01': BR_METHOD_TLS_ALPN_01_IP,
  },
};

/** The BR method number for this challenge on this identifier type, or undefined if not allowed. */
export function brMethod(challenge: AcmeChallengeType, identifierType: AcmeIdentifierType): string | undefined {
  return BR_METHODS[identifierType][challenge];
}

/**
 * The challenge types to offer for an identifier. Wildcards: only the DNS methods, because
 * BR §3.2.2.4.19 and §3.2.2.4.20 validate one FQDN and not the names below it, while
 * §3.2.2.4.7 and §3.2.2.4.21 may validate the whole subtree (RFC 8555 §7.1.3: a wildcard's
 * authorization is for the base name).
 */
export function challengeTypesFor(identifier: {
  type: AcmeIdentifierType;
  value: string;
  wildcard?: boolean;
}): AcmeChallengeType[] {
  const wildcard = identifier.wildcard === true || identifier.value.startsWith('*.');
  return ACME_CHALLENGE_TYPES.filter((t) => {
    if (brMethod(t, identifier.type) === undefined) return false;
    return !wildcard || t === 'dns-01' || t === 'dns-account-01';
  });
}
