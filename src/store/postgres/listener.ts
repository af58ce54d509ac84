// A dedicated connection that LISTENs on one channel (PostgreSQL NOTIFY), reconnecting after
// a failure. Notifications are delivered only while a session listens, so the owner is told
// when the connection is up (`onLive`) and when it is lost (`onLost`): anything it cached on
// the strength of notifications must be dropped then, because some may have been missed.
import pg from 'pg';

export interface ListenerOptions {
  url: string;
  channel: string;
  onNotify: (payload: string) => void;
  onLive: () => void;
  onLost: () => void;
  /** Wait before reconnecting, ms. */
  retryMs?: number;
}

export interface Listener {
  close(): Promise<void>;
}

export function startListener(opts: ListenerOptions): Listener {
  const retryMs = opts.retryMs ?? 1000;
  let closed = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = undefined;
    opts.onLost();
    c.end().catch(() => {});
    if (!closed) timer = setTimeout(connect, retryMs);
  };

  function connect(): void {
    timer = undefined;
    if (closed) return;
    // keepAlive: a connection that died silently (a dropped network path) is noticed.
    const c = new pg.Client({ connectionString: opts.url, keepAlive: true });
    client = c;
    c.on('notification', (m) => {
      if (m.channel === opts.channel && m.payload !== undefined) opts.onNotify(m.payload);
    });
    c.on('error', () => lost(c));
    c.on('end', () => lost(c));
    c.connect()
      .then(() => c.query(`LISTEN ${pg.escapeIdentifier(opts.channel)}`))
      .then(() => {
        if (client === c && !closed) opts.onLive();
      })
      .catch(() => lost(c));
  }

  connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c) {
        opts.onLost();
        await c.end().catch(() => {});
      }
    },
  };
}
