/** Helpers to read the real Pushgateway and to stand up broken gateways. */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

export function gatewayUrl(): string {
  const url = process.env.JOBKIT_TEST_PUSHGATEWAY_URL;
  if (url === undefined) throw new Error('JOBKIT_TEST_PUSHGATEWAY_URL is not set (run with the integration/e2e project)');
  return url;
}

/** A job name no other test uses. */
export function uniqueJobName(prefix = 'it'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

interface ApiMetricFamily {
  readonly type: string;
  readonly metrics: readonly { readonly labels: Record<string, string>; readonly value?: string; readonly count?: string }[];
}

/** One group as /api/v1/metrics reports it: grouping labels, and metric families by name. */
export interface Group {
  readonly labels: Record<string, string>;
  readonly families: Record<string, ApiMetricFamily>;
}

/** All groups of a job name at the gateway. */
export async function groupsOf(job: string): Promise<Group[]> {
  const res = await fetch(`${gatewayUrl()}/api/v1/metrics`);
  const body = (await res.json()) as { data: Record<string, unknown>[] };
  return body.data
    .filter((g) => (g.labels as Record<string, string>).job === job)
    .map((g) => {
      const families: Record<string, ApiMetricFamily> = {};
      for (const [key, value] of Object.entries(g)) {
        if (typeof value === 'object' && value !== null && 'metrics' in value) families[key] = value as ApiMetricFamily;
      }
      return { labels: g.labels as Record<string, string>, families };
    });
}

/** The value of a sample in a group, or undefined. */
export function valueOf(group: Group | undefined, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = group?.families[name];
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels[k] === v));
  const raw = sample?.value ?? sample?.count;
  return raw === undefined ? undefined : Number(raw);
}

/** Poll until `check` returns a value, for at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP server that accepts connections and never answers: a hung gateway. */
export async function startHangingServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: TcpServer = createTcpServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port with nothing listening on it: a gateway that is down. */
export async function closedPortUrl(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}

/** An HTTP server answering each request with the next status of `statuses` (then the last one). */
export async function startScriptedServer(statuses: readonly number[]): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: HttpServer = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses[Math.min(n, statuses.length - 1)] ?? 200;
      n += 1;
      res.writeHead(status).end(status >= 400 ? 'unavailable' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: () => n,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
