// Where the listeners' TLS certificate comes from: the operator's files (--tls-cert,
// --tls-key, re-read when they change, e.g. after a renewal by another tool), or
// certdesk's own "self-issued server certificate" (--tls auto): a short-lived certificate
// from the issuing CA for the listener's names (src/ca/listener-certificate.ts), made in
// memory at start and re-issued when two thirds of its life have passed. The ACME listener
// uses the same provider for its own HTTPS.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Issuer } from '../ca/hierarchy.js';
import type { Clock, Logger, RandomSource } from '../domain/ports.js';
import { generateKeyPair } from '../ca/signer.js';
import { generateSerial } from '../ca/serial.js';
import { issueListenerCertificate } from '../ca/listener-certificate.js';
import { toPem } from '../crypto/pem.js';

/** PEM certificate chain and private key, as node:tls takes them. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

export interface TlsSource {
  current(): TlsMaterial;
  /** Called with the new material after each renewal or file change. */
  onChange(listener: (m: TlsMaterial) => void): void;
  close(): void;
}

/** BR §4.9.1.1: a short-lived certificate (at most 7 days) needs no CRL or OCSP entry. */
export const SELF_ISSUED_LIFETIME_MS = 6 * 24 * 3600 * 1000;
/** Backdated like subscriber certificates, for clients whose clocks run a little slow. */
const BACKDATE_MS = 60 * 60 * 1000;

function checkMaterial(m: TlsMaterial): void {
  // Throws with OpenSSL's reason when the key does not match the certificate or either is malformed.
  createSecureContext({ cert: m.cert, key: m.key });
}

/** --tls-cert / --tls-key: read now, and again when either file changes (checked every few seconds). */
export function fileTlsSource(opts: { certFile: string; keyFile: string; logger: Logger; pollMs?: number }): TlsSource {
  const read = (): TlsMaterial => ({
    cert: readFileSync(opts.certFile, 'utf8'),
    key: readFileSync(opts.keyFile, 'utf8'),
  });
  let material = read();
  checkMaterial(material);
  const listeners: Array<(m: TlsMaterial) => void> = [];
  const reload = () => {
    try {
      const next = read();
      if (next.cert === material.cert && next.key === material.key) return;
      checkMaterial(next);
      material = next;
      opts.logger.log('info', 'TLS certificate files reloaded', { cert: opts.certFile });
      for (const l of listeners) l(material);
    } catch (e) {
      // Half-written files during a renewal: keep serving the previous pair; the next change retries.
      opts.logger.log('warn', 'TLS certificate files not reloaded', { cert: opts.certFile, error: String(e) });
    }
  };
  const poll = { interval: opts.pollMs ?? 5_000, persistent: false };
  watchFile(opts.certFile, poll, reload);
  watchFile(opts.keyFile, poll, reload);
  return {
    current: () => material,
    onChange: (l) => void listeners.push(l),
    close() {
      unwatchFile(opts.certFile, reload);
      unwatchFile(opts.keyFile, reload);
    },
  };
}

/** The names a self-issued certificate covers: the public host, the listeners' own addresses, loopback. */
export function listenerNames(hosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const h of [...hosts, 'localhost', '127.0.0.1', '::1']) {
    const name = h.toLowerCase();
    // Wildcard bind addresses are not names anyone connects to.
    if (name === '' || name === '0.0.0.0' || name === '::') continue;
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

export async function selfIssuedTlsSource(opts: {
  /** The active issuing CA. */
  issuer: Issuer;
  names: readonly string[];
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  lifetimeMs?: number;
}): Promise<TlsSource> {
  const lifetime = opts.lifetimeMs ?? SELF_ISSUED_LIFETIME_MS;
  const { issuer } = opts;
  const issue = async (): Promise<TlsMaterial> => {
    // A fresh key each time: it never leaves this process's memory.
    const key = await generateKeyPair('ecdsa-p256');
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const now = opts.clock.now();
    const notAfter = Math.min(now + lifetime, issuer.notAfter);
    const der = issueListenerCertificate(issuer, {
      serial: generateSerial(opts.random),
      notBefore: now - BACKDATE_MS,
      notAfter,
      spki,
      keyType: 'ec',
      names: opts.names,
    });
    opts.logger.log('info', 'self-issued TLS certificate', {
      names: opts.names,
      notAfter: new Date(notAfter).toISOString(),
      serial: new X509Certificate(der).serialNumber,
    });
    // The chain a client needs besides the root it trusts: leaf, then the issuing CA.
    return {
      cert: toPem('CERTIFICATE', der) + toPem('CERTIFICATE', issuer.certDer),
      key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  };
  let material = await issue();
  const listeners: Array<(m: TlsMaterial) => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const schedule = (inMs: number) => {
    timer = setTimeout(() => {
      issue().then(
        (m) => {
          material = m;
          for (const l of listeners) l(m);
          schedule((lifetime * 2) / 3);
        },
        (e) => {
          opts.logger.log('error', 'self-issued TLS certificate renewal failed; retrying in a minute', {
            error: String(e),
          });
          schedule(60_000);
        },
      );
    }, inMs);
    timer.unref();
  };
  schedule((lifetime * 2) / 3);
  return {
    current: () => material,
    onChange: (l) => void listeners.push(l),
    close: () => clearTimeout(timer),
  };
}
