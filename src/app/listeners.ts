// certdesk's listeners and their sockets: which ones run, which carry TLS, and the node
// server under each fastify app (limits, timeouts, the connection cap, the TLS context).
// A listener bound to loopback only may stay plain HTTP (tests and local tools rely on it);
// any other address refuses to start without TLS unless --insecure-http says so. The
// relying-party listener (--public-listen) is plain HTTP by design: RFC 5280 §4.2.1.13 and
// §4.2.2.1 expect HTTP URLs for CRLs, OCSP and CA certificates, which are public and signed.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CertError } from '../domain/errors.js';
import { formatHostPort, isLoopback, tlsConfigured, type Config, type HostPort } from '../config/schema.js';
import type { TlsSource } from './tls.js';

export type ListenerName = 'api' | 'operator' | 'public' | 'metrics';

export interface ListenerPlan {
  name: ListenerName;
  at: HostPort;
  tls: boolean;
}

const FLAG: Record<ListenerName, string> = {
  api: 'listen',
  operator: 'admin-listen',
  public: 'public-listen',
  metrics: 'metrics-listen',
};

/** The listeners this configuration runs; refuses plain HTTP off loopback without --insecure-http. */
export function planListeners(config: Readonly<Config>): ListenerPlan[] {
  const tls = tlsConfigured(config);
  const plans: ListenerPlan[] = [];
  if (config.role !== 'worker') plans.push({ name: 'api', at: config.listen, tls });
  plans.push({ name: 'operator', at: config.adminListen, tls });
  if (config.publicListen && config.role !== 'worker')
    plans.push({ name: 'public', at: config.publicListen, tls: false });
  if (config.metricsListen) plans.push({ name: 'metrics', at: config.metricsListen, tls });
  for (const p of plans) {
    if (p.tls || p.name === 'public' || isLoopback(p.at) || config.insecureHttp) continue;
    throw new CertError(
      'invalid_parameter',
      `--${FLAG[p.name]} ${formatHostPort(p.at)} is not a loopback address: serve it with TLS ` +
        '(--tls auto, or --tls-cert FILE --tls-key FILE), or say --insecure-http to send keys and secrets in clear',
    );
  }
  return plans;
}

export interface ListenerLimits {
  headerLimit: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export function limitsOf(config: Readonly<Config>): ListenerLimits {
  return {
    headerLimit: config.headerLimit,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    maxConnections: config.maxConnections,
  };
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** The node server under one listener: HTTP or HTTPS, with the limits applied. */
export function createNodeServer(opts: { limits: ListenerLimits; tls?: TlsSource; handler: Handler }): http.Server {
  const { limits } = opts;
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const common: http.ServerOptions = {
    // The SDK sends PEMs and keys in the query string: Node's 16 KiB default is too small.
    maxHeaderSize: limits.headerLimit,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout,
    requestTimeout: limits.requestTimeoutMs,
    // How often those timeouts are checked (Node's default 30 s lets a slow client hold a connection far longer).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  const server = opts.tls
    ? https.createServer({ ...common, ...opts.tls.current() }, opts.handler)
    : http.createServer(common, opts.handler);
  // Beyond the cap, new connections are closed at once (net.Server maxConnections).
  server.maxConnections = limits.maxConnections;
  if (opts.tls) opts.tls.onChange((m) => (server as https.Server).setSecureContext(m));
  return server;
}

export function listen(server: http.Server, at: HostPort, tls: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      resolve(`${tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
