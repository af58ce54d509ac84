// A loopback challenge server: the role Pebble's challtestsrv plays. A real authoritative DNS
// server (UDP and TCP on one port), an HTTP server and a tls-alpn-01 responder
// (app/tls-alpn-responder.ts), all programmable, so validation code is exercised against real
// sockets and a real resolver, never mocks (docs/ARCHITECTURE.md, "Tests"); `certdesk dev`
// (app/dev.ts) runs one so that a newcomer can publish a record and see an order issued
// without a domain of their own. Loopback only, never for production.
//
// Standalone, for manual checks: `node --import tsx src/app/challenge-server.ts [--dns-port N] [--http-port N] [--tls-alpn-port N]`.

import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';
import { startTlsAlpnResponder, type TlsAlpnSpec } from './tls-alpn-responder.js';

export type { TlsAlpnSpec } from './tls-alpn-responder.js';

export interface CaaSpec {
  flags: number;
  tag: string;
  value: string;
}

export interface HttpResponseSpec {
  status?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Wait this long before sending anything (to exercise timeouts). */
  delayMs?: number;
}

export interface DnsQueryLogEntry {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface HttpRequestLogEntry {
  host: string;
  path: string;
}

export interface ChallengeServer {
  /** '127.0.0.1:PORT', UDP and TCP on the same port. */
  dnsAddress: string;
  /** HTTP on 127.0.0.1:httpPort; requests are routed by Host header (port stripped). */
  httpPort: number;
  /** Each value is one TXT record; values longer than 255 bytes are split into several character-strings. */
  setTxt(name: string, values: string[]): void;
  setCaa(name: string, records: CaaSpec[]): void;
  setA(name: string, addresses: string[]): void;
  setAaaa(name: string, addresses: string[]): void;
  /** A CNAME owns its name (RFC 1034 §3.6.2): setting it drops the name's other records. */
  setCname(name: string, target: string): void;
  /** Answer SERVFAIL for that name, whatever the type. */
  setServfail(name: string, on?: boolean): void;
  /** Forget one name's records and SERVFAIL mark, or everything DNS. */
  clear(name?: string): void;
  /** Serve `response` for GET http://host/path (path matched exactly, query string ignored); anything else is 404. */
  setHttp(host: string, path: string, response: HttpResponseSpec): void;
  clearHttp(host?: string): void;
  /** TLS on 127.0.0.1:tlsAlpnPort answering tls-alpn-01 (RFC 8737) for registered server names. */
  tlsAlpnPort: number;
  /**
   * Present the acme-tls/1 certificate described by `spec` when a client sends SNI
   * `servername` (a DNS name, or for an IP identifier its reverse-DNS name, RFC 8738 §6).
   */
  setTlsAlpn(servername: string, spec: TlsAlpnSpec): void;
  clearTlsAlpn(servername?: string): void;
  /** The SNI values TLS clients sent, in order. */
  tlsServerNames(): string[];
  dnsQueries(): DnsQueryLogEntry[];
  /** Every HTTP request received, in order (host without port, path without query). */
  httpRequests(): HttpRequestLogEntry[];
  close(): Promise<void>;
}

// TTL 0: c-ares (node's resolver) keeps a query cache; tests change records between lookups.
const TTL = 0;
// RFC 1035 §4.2.1: without EDNS a UDP answer is at most 512 bytes; larger ones are truncated
// (TC set) so the client retries over TCP.
const CLASSIC_UDP_LIMIT = 512;
// What we advertise back in our OPT record (the DNS Flag Day 2020 default).
const OUR_EDNS_UDP_SIZE = 1232;
const MAX_CNAME_HOPS = 8;

type Rcode = 'NOERROR' | 'SERVFAIL' | 'NXDOMAIN' | 'FORMERR' | 'NOTIMP';
const RCODE_VALUES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 };

interface NameRecords {
  txt?: string[];
  caa?: CaaSpec[];
  a?: string[];
  aaaa?: string[];
  cname?: string;
}

function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export async function startChallengeServer(
  opts: { dnsPort?: number; httpPort?: number; tlsAlpnPort?: number } = {},
): Promise<ChallengeServer> {
  const zone = new Map<string, NameRecords>();
  const servfail = new Set<string>();
  const queryLog: DnsQueryLogEntry[] = [];
  const httpLog: HttpRequestLogEntry[] = [];
  const routes = new Map<string, Map<string, HttpResponseSpec>>();

  // ---- DNS data -------------------------------------------------------------------------

  function update(name: string, change: (r: NameRecords) => void): void {
    const key = normalizeName(name);
    const records = { ...(zone.get(key) ?? {}) };
    change(records);
    const empty = Object.values(records).every((v) => v === undefined);
    if (empty) zone.delete(key);
    else zone.set(key, records);
  }

  // An empty list removes that type. A name with a CNAME can have no other data
  // (RFC 1034 §3.6.2), so adding records drops a CNAME: the last call wins.
  function setType<K extends 'txt' | 'caa' | 'a' | 'aaaa'>(
    name: string,
    type: K,
    values: NonNullable<NameRecords[K]>,
  ): void {
    update(name, (r) => {
      r[type] = values.length === 0 ? undefined : values;
      if (values.length > 0) r.cname = undefined;
    });
  }

  // A name exists if it has records or is an ancestor of one that does (an "empty
  // non-terminal": NOERROR/NODATA, not NXDOMAIN; RFC 8020).
  function nameExists(name: string): boolean {
    if (zone.has(name)) return true;
    const suffix = `.${name}`;
    for (const key of zone.keys()) if (key.endsWith(suffix)) return true;
    return false;
  }

  function recordsOf(name: string, records: NameRecords, type: string): Answer[] {
    const out: Answer[] = [];
    const want = (t: string): boolean => type === t || type === 'ANY';
    if (want('A')) for (const ip of records.a ?? []) out.push({ type: 'A', name, ttl: TTL, data: ip });
    if (want('AAAA')) for (const ip of records.aaaa ?? []) out.push({ type: 'AAAA', name, ttl: TTL, data: ip });
    if (want('TXT')) for (const v of records.txt ?? []) out.push({ type: 'TXT', name, ttl: TTL, data: splitTxt(v) });
    if (want('CAA')) {
      for (const c of records.caa ?? []) {
        // dns-packet's types only list the three RFC tags; the wire format takes any tag.
        const data = { flags: c.flags, tag: c.tag as 'issue', value: c.value };
        out.push({ type: 'CAA', name, ttl: TTL, data });
      }
    }
    if (want('CNAME') && records.cname !== undefined) {
      out.push({ type: 'CNAME', name, ttl: TTL, data: records.cname });
    }
    return out;
  }

  function resolveQuestion(qname: string, qtype: string): { rcode: Rcode; answers: Answer[] } {
    const answers: Answer[] = [];
    let name = qname;
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      if (servfail.has(name)) return { rcode: 'SERVFAIL', answers: [] };
      const records = zone.get(name);
      if (records === undefined) {
        // RFC 6604: the rcode describes the last name in the CNAME chain.
        return { rcode: nameExists(name) ? 'NOERROR' : 'NXDOMAIN', answers };
      }
      if (records.cname !== undefined && qtype !== 'CNAME') {
        // RFC 1034 §4.3.2 step 3a: answer the CNAME and restart with its target, within our data.
        answers.push({ type: 'CNAME', name, ttl: TTL, data: records.cname });
        name = normalizeName(records.cname);
        continue;
      }
      answers.push(...recordsOf(name, records, qtype));
      return { rcode: 'NOERROR', answers };
    }
    return { rcode: 'SERVFAIL', answers: [] }; // CNAME loop
  }

  function buildResponse(query: DecodedPacket, transport: 'udp' | 'tcp'): Buffer {
    const questions = query.questions ?? [];
    const queryOpt = (query.additionals ?? []).find((a) => a.type === 'OPT');
    const respond = (rcode: Rcode, answers: Answer[], truncated = false): Buffer => {
      const packet: Packet = {
        type: 'response',
        id: query.id ?? 0,
        flags:
          dnsPacket.AUTHORITATIVE_ANSWER |
          ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | // RFC 1035 §4.1.1: RD is copied
          (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) |
          RCODE_VALUES[rcode],
        questions,
        answers,
        // RFC 6891 §7: answer EDNS with EDNS.
        additionals:
          queryOpt === undefined
            ? []
            : [
                {
                  type: 'OPT',
                  name: '.',
                  udpPayloadSize: OUR_EDNS_UDP_SIZE,
                  extendedRcode: 0,
                  ednsVersion: 0,
                  flags: 0,
                  flag_do: false,
                  options: [],
                },
              ],
      };
      return dnsPacket.encode(packet);
    };

    const opcode = (query as DecodedPacket & { opcode?: string }).opcode;
    if (opcode !== undefined && opcode !== 'QUERY') return respond('NOTIMP', []);
    const question: Question | undefined = questions[0];
    if (question === undefined || questions.length !== 1) return respond('FORMERR', []);

    const name = normalizeName(question.name);
    queryLog.push({ name, type: question.type, transport });
    const { rcode, answers } = resolveQuestion(name, question.type);
    const encoded = respond(rcode, answers);
    if (transport === 'udp') {
      const limit =
        queryOpt !== undefined && 'udpPayloadSize' in queryOpt
          ? Math.max(CLASSIC_UDP_LIMIT, queryOpt.udpPayloadSize)
          : CLASSIC_UDP_LIMIT;
      if (encoded.length > limit) return respond(rcode, [], true);
    }
    return encoded;
  }

  function handleDnsMessage(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // not DNS: drop it, as a real server would
    }
    if (query.type !== 'query') return undefined;
    return buildResponse(query, transport);
  }

  // ---- DNS transport ---------------------------------------------------------------------

  const tcpSockets = new Set<net.Socket>();
  const onTcpConnection = (socket: net.Socket): void => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    // RFC 1035 §4.2.2 / RFC 7766 §8: each message carries a 2-byte length prefix; several
    // queries may share one connection.
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = handleDnsMessage(message, 'tcp');
        if (reply === undefined) {
          socket.destroy();
          return;
        }
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
      }
    });
  };

  const { udp, tcp, port: dnsPort } = await bindDns(opts.dnsPort ?? 0, onTcpConnection);
  udp.on('message', (message, remote) => {
    const reply = handleDnsMessage(message, 'udp');
    if (reply !== undefined) udp.send(reply, remote.port, remote.address);
  });

  // ---- HTTP ------------------------------------------------------------------------------

  const timers = new Set<NodeJS.Timeout>();
  const httpServer = http.createServer((req, res) => {
    const host = hostWithoutPort(req.headers.host ?? '');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    httpLog.push({ host, path });
    const spec = routes.get(host)?.get(path);
    const send = (): void => {
      if (spec === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found\n');
        return;
      }
      res.writeHead(spec.status ?? 200, spec.headers ?? {});
      res.end(spec.body ?? '');
    };
    if (spec?.delayMs === undefined || spec.delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, spec.delayMs);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.httpPort ?? 0, '127.0.0.1', () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const httpPort = (httpServer.address() as net.AddressInfo).port;

  // ---- tls-alpn-01 -----------------------------------------------------------------------

  const tlsAlpn = await startTlsAlpnResponder(opts.tlsAlpnPort ?? 0);

  return {
    dnsAddress: `127.0.0.1:${dnsPort}`,
    httpPort,
    setTxt: (name, values) => setType(name, 'txt', [...values]),
    setCaa: (name, records) =>
      setType(
        name,
        'caa',
        records.map((r) => ({ ...r })),
      ),
    setA: (name, addresses) => setType(name, 'a', [...addresses]),
    setAaaa: (name, addresses) => setType(name, 'aaaa', [...addresses]),
    setCname: (name, target) => {
      zone.set(normalizeName(name), { cname: normalizeName(target) });
    },
    setServfail: (name, on = true) => {
      if (on) servfail.add(normalizeName(name));
      else servfail.delete(normalizeName(name));
    },
    clear: (name) => {
      if (name === undefined) {
        zone.clear();
        servfail.clear();
      } else {
        zone.delete(normalizeName(name));
        servfail.delete(normalizeName(name));
      }
    },
    setHttp: (host, path, response) => {
      const key = hostWithoutPort(host);
      const byPath = routes.get(key) ?? new Map<string, HttpResponseSpec>();
      byPath.set(path, { ...response });
      routes.set(key, byPath);
    },
    clearHttp: (host) => {
      if (host === undefined) routes.clear();
      else routes.delete(hostWithoutPort(host));
    },
    tlsAlpnPort: tlsAlpn.port,
    setTlsAlpn: (servername, spec) => tlsAlpn.set(servername, spec),
    clearTlsAlpn: (servername) => tlsAlpn.clear(servername),
    tlsServerNames: () => tlsAlpn.serverNames(),
    dnsQueries: () => queryLog.map((q) => ({ ...q })),
    httpRequests: () => httpLog.map((r) => ({ ...r })),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of tcpSockets) socket.destroy();
      httpServer.closeAllConnections();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => httpServer.close(() => resolve())),
        tlsAlpn.close(),
      ]);
    },
  };
}

/** 'Example.com:8080' -> 'example.com', '[::1]:80' -> '::1'. */
function hostWithoutPort(host: string): string {
  let h = host.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end === -1 ? h.slice(1) : h.slice(1, end);
  } else if (h.indexOf(':') === h.lastIndexOf(':')) {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
  }
  return normalizeName(h);
}

/** Each TXT character-string holds at most 255 bytes (RFC 1035 §3.3.14); split longer values. */
function splitTxt(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0) return [bytes];
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks;
}

/** UDP and TCP on the same port. With port 0 the TCP side may find the port taken: retry. */
async function bindDns(
  port: number,
  onConnection: (socket: net.Socket) => void,
): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '127.0.0.1', () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const boundPort = udp.address().port;
    const tcp = net.createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(boundPort, '127.0.0.1', () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: boundPort };
    } catch (e) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (port !== 0 || !inUse || attempt >= 9) throw e;
    }
  }
}

// Standalone mode: start on the given (or random) ports, seed any --a/--txt records
// (`--a example.test=127.0.0.1 --txt _dnsauth.example.test=token`) and print where.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const { values } = parseArgs({
    options: {
      'dns-port': { type: 'string' },
      'http-port': { type: 'string' },
      'tls-alpn-port': { type: 'string' },
      a: { type: 'string', multiple: true },
      txt: { type: 'string', multiple: true },
    },
  });
  const server = await startChallengeServer({
    dnsPort: Number(values['dns-port'] ?? 0),
    httpPort: Number(values['http-port'] ?? 0),
    tlsAlpnPort: Number(values['tls-alpn-port'] ?? 0),
  });
  const pairs = (list: string[] | undefined): Array<[string, string]> =>
    (list ?? []).map((item) => {
      const eq = item.indexOf('=');
      return [item.slice(0, eq), item.slice(eq + 1)];
    });
  for (const [name, ip] of pairs(values.a)) server.setA(name, [ip]);
  for (const [name, text] of pairs(values.txt)) server.setTxt(name, [text]);
  console.log(`DNS  ${server.dnsAddress} (udp+tcp)`);
  console.log(`HTTP 127.0.0.1:${server.httpPort}`);
  console.log(`TLS  127.0.0.1:${server.tlsAlpnPort} (tls-alpn-01)`);
  process.once('SIGINT', () => void server.close());
}
