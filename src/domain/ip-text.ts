// The text form of a 16-octet IPv6 address, RFC 5952 §4: lower-case hex groups without leading
// zeros, the longest run of two or more zero groups (the first one on a tie) shortened to "::".
// Shared by the CSR reader (iPAddress SANs) and ACME IP identifiers (RFC 8738).

export function formatIpv6(octets: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((octets[i]! << 8) | octets[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
