// Which addresses validation may connect to. A customer controls their DNS, so without this
// guard a FILE check could be aimed at our own loopback, the cloud metadata service or the
// private network behind us (SSRF). The ranges are the IANA IPv4/IPv6 Special-Purpose
// Address Registries (RFC 6890 and updates) that are not globally reachable.

import { isIP } from 'node:net';

type Range = readonly [prefix: readonly number[], bits: number];

const NON_PUBLIC_V4: readonly Range[] = [
  [[0, 0, 0, 0], 8], //        "this network" (RFC 791)
  [[10, 0, 0, 0], 8], //       private (RFC 1918)
  [[100, 64, 0, 0], 10], //    shared address space / CGNAT (RFC 6598)
  [[127, 0, 0, 0], 8], //      loopback (RFC 1122)
  [[169, 254, 0, 0], 16], //   link-local, incl. cloud metadata 169.254.169.254 (RFC 3927)
  [[172, 16, 0, 0], 12], //    private (RFC 1918)
  [[192, 0, 0, 0], 24], //     IETF protocol assignments (RFC 6890)
  [[192, 0, 2, 0], 24], //     TEST-NET-1 documentation (RFC 5737)
  [[192, 88, 99, 0], 24], //   deprecated 6to4 relay anycast (RFC 7526)
  [[192, 168, 0, 0], 16], //   private (RFC 1918)
  [[198, 18, 0, 0], 15], //    benchmarking (RFC 2544)
  [[198, 51, 100, 0], 24], //  TEST-NET-2 documentation (RFC 5737)
  [[203, 0, 113, 0], 24], //   TEST-NET-3 documentation (RFC 5737)
  [[224, 0, 0, 0], 4], //      multicast (RFC 5771)
  [[240, 0, 0, 0], 4], //      reserved, incl. broadcast 255.255.255.255 (RFC 1112, RFC 919)
];

const NON_PUBLIC_V6: readonly Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96], // ::, ::1 and deprecated IPv4-compatible (RFC 4291 §2.5.5.1)
  [[0x00, 0x64, 0xff, 0x9b, 0, 1], 48], //   local-use NAT64 (RFC 8215)
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], //   discard-only (RFC 6666)
  [[0x20, 0x01, 0x00, 0x02, 0, 0], 48], //   benchmarking (RFC 5180)
  [[0x20, 0x01, 0x0d, 0xb8], 32], //         documentation (RFC 3849)
  [[0x3f, 0xff], 20], //                     documentation (RFC 9637)
  [[0xfc], 7], //                            unique local (RFC 4193)
  [[0xfe, 0x80], 10], //                     link-local (RFC 4291)
  [[0xfe, 0xc0], 10], //                     deprecated site-local (RFC 3879)
  [[0xff], 8], //                            multicast (RFC 4291)
];

// IPv6 prefixes that carry an IPv4 address: the embedded address decides.
const V4_MAPPED: Range = [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96]; // RFC 4291 §2.5.5.2
const NAT64_WELL_KNOWN: Range = [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96]; // RFC 6052
const SIX_TO_FOUR: Range = [[0x20, 0x02], 16]; // RFC 3056: 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD

/**
 * True only for a syntactically valid IPv4 or IPv6 address that is globally reachable.
 * Anything else (private, reserved, documentation, a hostname, garbage) is false.
 */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return isPublicV4(parseV4(ip));
  if (family === 6) {
    const bytes = parseV6(ip);
    return bytes !== undefined && isPublicV6(bytes);
  }
  return false;
}

/**
 * The address in network byte order (4 or 16 octets), or undefined for anything that is not
 * a plain IPv4 or IPv6 address (a zone index included). RFC 5280 §4.2.1.6 iPAddress form.
 */
export function addressOctets(ip: string): Buffer | undefined {
  const family = isIP(ip);
  if (family === 4) return Buffer.from(parseV4(ip));
  if (family === 6) {
    const bytes = parseV6(ip);
    return bytes === undefined ? undefined : Buffer.from(bytes);
  }
  return undefined;
}

function isPublicV4(bytes: readonly number[]): boolean {
  return !NON_PUBLIC_V4.some((range) => inRange(bytes, range));
}

function isPublicV6(bytes: readonly number[]): boolean {
  if (inRange(bytes, V4_MAPPED) || inRange(bytes, NAT64_WELL_KNOWN)) return isPublicV4(bytes.slice(12));
  if (inRange(bytes, SIX_TO_FOUR)) return isPublicV4(bytes.slice(2, 6));
  return !NON_PUBLIC_V6.some((range) => inRange(bytes, range));
}

function inRange(bytes: readonly number[], [prefix, bits]: Range): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV4(ip: string): number[] {
  return ip.split('.').map((part) => Number(part));
}

/** 16 bytes of an IPv6 address (already checked by net.isIP), or undefined if it has a zone. */
function parseV6(ip: string): number[] | undefined {
  if (ip.includes('%')) return undefined; // a zone index means a link-scoped address
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Trailing dotted quad, as in ::ffff:10.0.0.1.
    tail = parseV4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const groupsOf = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const front = groupsOf(head);
  const back = rest === undefined ? [] : groupsOf(rest);
  const zeros = new Array<number>(8 - front.length - back.length).fill(0);
  const groups = [...front, ...zeros, ...back];
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}
