/**
 * Loopback HTTP servers that speak the clouds' instance-metadata APIs, for the
 * interruption-notice tests (unit tests of the sources, e2e tests of a child
 * job). Each one checks what the real service checks (IMDSv2's token
 * handshake, GCE's Metadata-Flavor header, Azure's Metadata header and
 * api-version) and answers as it does, and can be told to announce an
 * interruption, to hang (never answer) or to fail (HTTP 500).
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

/** How a server answers: normally, never (the request hangs), or with HTTP 500. */
export type ServerMode = 'ok' | 'hang' | 'fail';

/** One request a server saw. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** The status it was answered with; undefined while it hangs. */
  status: number | undefined;
}

/** What every metadata server has. */
export interface MetadataServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>` (GCE_METADATA_HOST takes a host). */
  readonly host: string;
  readonly requests: SeenRequest[];
  mode: ServerMode;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, seen: SeenRequest) => void;

async function listen(handler: Handler): Promise<{ server: Server; base: MetadataServer }> {
  const requests: SeenRequest[] = [];
  const base: { mode: ServerMode } = { mode: 'ok' };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, status: undefined };
    requests.push(seen);
    res.on('finish', () => (seen.status = res.statusCode));
    if (base.mode === 'hang') return;
    if (base.mode === 'fail') {
      res.writeHead(500).end('internal error');
      return;
    }
    handler(req, res, url, seen);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const host = `127.0.0.1:${address.port}`;
  return {
    server,
    base: {
      url: `http://${host}`,
      host,
      requests,
      get mode() {
        return base.mode;
      },
      set mode(mode: ServerMode) {
        base.mode = mode;
      },
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    },
  };
}

/** An EC2 instance metadata service (IMDSv2 only). */
export interface ImdsServer extends MetadataServer {
  /** Tokens handed out so far (a test checks none of them reaches a log). */
  readonly tokens: readonly string[];
  /** Serve `spot/instance-action` from now on. */
  interrupt(action?: string, time?: Date): void;
  /** Serve `events/recommendations/rebalance` from now on. */
  recommendRebalance(time?: Date): void;
  /** Invalidate every token handed out (the next GET gets 401). */
  revokeTokens(): void;
}

/**
 * Start an IMDSv2 server: `PUT /latest/api/token` needs
 * `X-aws-ec2-metadata-token-ttl-seconds` (1-21600, else 400); every GET needs
 * a valid `X-aws-ec2-metadata-token` (else 401); the notice paths are 404
 * until announced.
 */
export async function startImdsServer(): Promise<ImdsServer> {
  const valid = new Set<string>();
  const tokens: string[] = [];
  let action: { action: string; time: string } | undefined;
  let rebalance: { noticeTime: string } | undefined;
  const { base } = await listen((req, res, url) => {
    if (req.method === 'PUT' && url.pathname === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21_600) {
        res.writeHead(400).end('missing or invalid X-aws-ec2-metadata-token-ttl-seconds');
        return;
      }
      const token = `AQAEA${randomBytes(24).toString('base64url')}`;
      valid.add(token);
      tokens.push(token);
      res.writeHead(200, { 'X-aws-ec2-metadata-token-ttl-seconds': String(ttl), 'Content-Type': 'text/plain' }).end(token);
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (typeof token !== 'string' || !valid.has(token)) {
      res.writeHead(401).end();
      return;
    }
    const body =
      url.pathname === '/latest/meta-data/spot/instance-action' ? action : url.pathname === '/latest/meta-data/events/recommendations/rebalance' ? rebalance : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><body><h1>404 - Not Found</h1></body></html>');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(JSON.stringify(body));
  });
  return Object.assign(base, {
    tokens,
    interrupt(kind = 'terminate', time = new Date(Date.now() + 120_000)) {
      action = { action: kind, time: time.toISOString().replace(/\.\d{3}Z$/, 'Z') };
    },
    recommendRebalance(time = new Date()) {
      rebalance = { noticeTime: time.toISOString().replace(/\.\d{3}Z$/, 'Z') };
    },
    revokeTokens() {
      valid.clear();
    },
  });
}

/** A GCE metadata server. */
export interface GceMetadataServer extends MetadataServer {
  /** Set `instance/preempted` to TRUE, answering held `wait_for_change` requests. */
  preempt(): void;
  /** How many `wait_for_change` requests are held now. */
  waiting(): number;
}

/**
 * Start a GCE metadata server: requests need `Metadata-Flavor: Google` (else
 * 403); answers carry it and an ETag; `?wait_for_change=true` with the
 * current `last_etag` is held until the value changes or `timeout_sec`.
 */
export async function startGceMetadataServer(): Promise<GceMetadataServer> {
  let value = 'FALSE';
  const etagOf = (v: string): string => (v === 'TRUE' ? '6e2a1f8d0b7c4a55' : '1c9f3a7e2d4b8f60');
  const held = new Set<() => void>();
  const answer = (res: ServerResponse): void => {
    res.writeHead(200, { 'Metadata-Flavor': 'Google', ETag: etagOf(value), 'Content-Type': 'application/text' }).end(value);
  };
  const { base } = await listen((req, res, url) => {
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403, { 'Content-Type': 'text/html' }).end('Missing Metadata-Flavor:Google header.');
      return;
    }
    if (url.pathname !== '/computeMetadata/v1/instance/preempted') {
      res.writeHead(404, { 'Metadata-Flavor': 'Google' }).end();
      return;
    }
    const wait = url.searchParams.get('wait_for_change') === 'true';
    if (!wait || url.searchParams.get('last_etag') !== etagOf(value)) {
      answer(res);
      return;
    }
    const timeoutSec = Number(url.searchParams.get('timeout_sec') ?? '300');
    const release = (): void => {
      clearTimeout(timer);
      held.delete(release);
      if (!res.writableEnded && !res.destroyed) answer(res);
    };
    const timer = setTimeout(release, timeoutSec * 1000);
    held.add(release);
    res.on('close', () => {
      clearTimeout(timer);
      held.delete(release);
    });
  });
  return Object.assign(base, {
    preempt() {
      value = 'TRUE';
      for (const release of [...held]) release();
    },
    waiting: () => held.size,
  });
}

/** An Azure IMDS with scheduled events. */
export interface AzureMetadataServer extends MetadataServer {
  /** Add a scheduled event (EventType `Preempt`, `Terminate`, `Reboot`, ...) naming `resources`. */
  schedule(eventType: string, resources: readonly string[], notBefore?: Date): void;
}

/**
 * Start an Azure IMDS: requests need `Metadata: true` and an `api-version`
 * (else 400); `/metadata/instance/compute/name?format=text` is `vmName`;
 * `/metadata/scheduledevents` is the events document.
 */
export async function startAzureMetadataServer(vmName = 'jobkit-vm-0'): Promise<AzureMetadataServer> {
  const events: Record<string, unknown>[] = [];
  let incarnation = 1;
  const { base } = await listen((req, res, url) => {
    if (req.headers.metadata !== 'true') {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"Bad request. Required metadata header not specified"}');
      return;
    }
    if (url.searchParams.get('api-version') === null) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"Bad request. api-version was not specified in the request"}');
      return;
    }
    if (url.pathname === '/metadata/instance/compute/name' && url.searchParams.get('format') === 'text') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(vmName);
      return;
    }
    if (url.pathname === '/metadata/scheduledevents') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ DocumentIncarnation: incarnation, Events: events }));
      return;
    }
    res.writeHead(404).end();
  });
  return Object.assign(base, {
    schedule(eventType: string, resources: readonly string[], notBefore = new Date(Date.now() + 30_000)) {
      incarnation += 1;
      events.push({
        EventId: `602d9444-d2cd-49c7-8624-8643e7171297-${incarnation}`,
        EventType: eventType,
        ResourceType: 'VirtualMachine',
        Resources: [...resources],
        EventStatus: 'Scheduled',
        NotBefore: notBefore.toUTCString(),
        Description: `${eventType} scheduled by a test`,
        EventSource: 'Platform',
        DurationInSeconds: -1,
      });
    },
  });
}
