// The production TlsConnector: one TLS handshake to an address the caller has resolved and
// vetted (address-guard.ts), for tls-alpn-01 (RFC 8737). Like the HTTP fetcher it never
// resolves a name, so DNS rebinding cannot steer it. The certificate is not verified here:
// the validator judges it (it is self-signed by design, RFC 8737 §3).

import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { TlsConnectError, type TlsConnector, type TlsHandshakeOptions, type TlsHandshakeResult } from './ports.js';

export function createTlsConnector(): TlsConnector {
  return { handshake };
}

// OpenSSL's name for the no_application_protocol alert (RFC 7301 §3.2) as node reports it.
const NO_ALPN_ALERT = 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL';

function handshake(opts: TlsHandshakeOptions): Promise<TlsHandshakeResult> {
  if (isIP(opts.address) === 0) {
    return Promise.reject(new TlsConnectError('bad_address', 'the connector only connects to IP addresses'));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    let tcpConnected = false;

    const socket = connect({
      host: opts.address,
      port: opts.port,
      servername: opts.servername,
      ALPNProtocols: [...opts.alpnProtocols],
      // RFC 8737 §3: "TLS 1.2 or higher".
      minVersion: 'TLSv1.2',
      // The certificate is the evidence under test, not a credential to trust.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });

    const settle = (outcome: { value: TlsHandshakeResult } | { error: TlsConnectError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if ('value' in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };

    // One deadline for connect and handshake: a server that stalls must not hold a worker.
    const timer = setTimeout(() => {
      settle({ error: new TlsConnectError('timeout', `no TLS handshake within ${opts.timeoutMs} ms`) });
    }, opts.timeoutMs);

    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerX509Certificate()?.raw;
      if (certificate === undefined) {
        settle({ error: new TlsConnectError('handshake_failed', 'the server presented no certificate') });
        return;
      }
      settle({
        value: {
          version: socket.getProtocol() ?? 'unknown',
          alpnProtocol: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : undefined,
          certificate: Buffer.from(certificate),
        },
      });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === NO_ALPN_ALERT) {
        settle({
          error: new TlsConnectError('no_alpn_overlap', 'the server speaks none of the offered ALPN protocols', {
            cause: e,
          }),
        });
      } else if (!tcpConnected) {
        settle({
          error: new TlsConnectError('connect_failed', `could not connect (${e.code ?? 'error'})`, { cause: e }),
        });
      } else {
        settle({
          error: new TlsConnectError('handshake_failed', `TLS handshake failed (${e.code ?? 'error'})`, { cause: e }),
        });
      }
    });
    socket.once('close', () => {
      settle({
        error: new TlsConnectError(
          tcpConnected ? 'handshake_failed' : 'connect_failed',
          'connection closed before the handshake completed',
        ),
      });
    });
  });
}
