/**
 * A fault-injecting HTTP proxy on loopback, put between a real S3 server and
 * the store under test. Faults are real network events, not mocks of the SDK:
 * the request reaches the server (or not), then the response is replaced,
 * cut or delayed. A rule decides per request; `seededRule` draws faults from
 * a seeded schedule so a failing run can be replayed.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SeededRandom } from '../../src/local/rng.ts';

/** What the proxy does to one request. */
export type Fault =
  /** 503 SlowDown without forwarding. */
  | 'slow-down'
  /** Forward (the write lands), then answer 500 InternalError. */
  | 'error-after-write'
  /** Forward (the write lands), then reset the connection without answering. */
  | 'reset-after-write'
  /** Forward, send the headers and half the body, then reset. */
  | 'reset-mid-response'
  /** Forward, then send a shorter body with a matching Content-Length (truncated in flight). */
  | 'truncate-body'
  /** Forward, then flip one byte of the body (damaged in flight). */
  | 'corrupt-body'
  /** Wait 200 ms, then forward. */
  | 'latency'
  /**
   * 403 SignatureDoesNotMatch without forwarding, echoing the request's access
   * key id and security token in the body the way S3 does.
   */
  | 'signature-does-not-match';

/** One request as the rule sees it. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  /** 1-based count of requests seen by the proxy. */
  readonly n: number;
}

/** Decides the fault of a request (undefined: pass through). */
export type FaultRule = (req: ProxiedRequest) => Fault | undefined;

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:port` */
  readonly endpoint: string;
  /** Replace the rule (takes effect for the next request). */
  setRule(rule: FaultRule): void;
  /** Faults injected so far, by kind. */
  readonly injected: Map<Fault, number>;
  close(): Promise<void>;
}

/** A rule that injects one of `kinds` into a `rate` share of requests, drawn from `seed`. */
export function seededRule(seed: number, rate: number, kinds: readonly Fault[]): FaultRule {
  // The emulator's generator (the same mulberry32), so a seed means one schedule everywhere.
  const random = new SeededRandom(seed);
  return () => {
    if (random.next() >= rate) return undefined;
    return random.pick(kinds);
  };
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

const S3_ERROR = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;

/**
 * Start a proxy in front of `target` (an `http://host:port` S3 endpoint).
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy(process.env.JOBKIT_TEST_S3_ENDPOINT!);
 * proxy.setRule((r) => (r.method === 'PUT' && r.n === 1 ? 'error-after-write' : undefined));
 * ```
 */
export async function startFaultProxy(target: string, rule: FaultRule = () => undefined): Promise<FaultProxy> {
  const upstream = new URL(target);
  let current = rule;
  let n = 0;
  const injected = new Map<Fault, number>();

  const forward = async (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    await new Promise((resolve, reject) => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (res) => {
          readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const fault = current({ method: req.method ?? 'GET', url: req.url ?? '/', n: ++n });
    if (fault !== undefined) injected.set(fault, (injected.get(fault) ?? 0) + 1);
    if (fault === 'slow-down') {
      res.writeHead(503, { 'content-type': 'application/xml' }).end(S3_ERROR('SlowDown', 'Please reduce your request rate.'));
      return;
    }
    if (fault === 'signature-does-not-match') {
      const keyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const token = String(req.headers['x-amz-security-token'] ?? '');
      const canonical = `${req.method}\n${req.url}\nhost:${req.headers.host}\nx-amz-security-token:${token}\n`;
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>` +
            `<AWSAccessKeyId>${keyId}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 ${token}</StringToSign><SignatureProvided>abc</SignatureProvided>` +
            `<CanonicalRequest>${canonical}</CanonicalRequest><RequestId>fault-proxy</RequestId></Error>`,
        );
      return;
    }
    if (fault === 'latency') await new Promise((r) => setTimeout(r, 200));
    const answer = await forward(req, body);
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    // A HEAD answer has no body but keeps the object's Content-Length.
    const length = (b: Buffer): string => (req.method === 'HEAD' ? String(answer.headers['content-length'] ?? 0) : String(b.length));
    switch (fault) {
      case 'error-after-write':
        res.writeHead(500, { 'content-type': 'application/xml' }).end(S3_ERROR('InternalError', 'We encountered an internal error.'));
        return;
      case 'reset-after-write':
        req.socket.destroy();
        return;
      case 'reset-mid-response': {
        res.writeHead(answer.status, { ...headers, 'content-length': length(answer.body) });
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        setTimeout(() => req.socket.destroy(), 5);
        return;
      }
      case 'truncate-body': {
        const short = answer.body.subarray(0, Math.floor(answer.body.length / 2));
        res.writeHead(answer.status, { ...headers, 'content-length': length(short) }).end(short);
        return;
      }
      case 'corrupt-body': {
        const damaged = Buffer.from(answer.body);
        if (damaged.length > 0) damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
        res.writeHead(answer.status, { ...headers, 'content-length': length(damaged) }).end(damaged);
        return;
      }
      case 'latency':
      case undefined:
        res.writeHead(answer.status, { ...headers, 'content-length': length(answer.body) }).end(answer.body);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setRule: (r) => {
      current = r;
    },
    injected,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
