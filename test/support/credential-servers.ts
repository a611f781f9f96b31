/**
 * Loopback servers that make credentials expire for real, for the rotating
 * credentials tests:
 *
 * - {@link startContainerCredentialsServer}: the container credentials
 *   endpoint of EKS Pod Identity (`AWS_CONTAINER_CREDENTIALS_FULL_URI`). It
 *   answers only the Authorization token currently in its token file (the
 *   test rotates the file; an old token is refused with 401), and issues new
 *   keys on every call, each valid for `lifetimeMs`.
 * - {@link startStsProxy}: STS in front of moto. It refuses a web identity
 *   token that is not the current one (400 InvalidIdentityToken), forwards
 *   AssumeRoleWithWebIdentity to moto, and rewrites the Expiration of the
 *   keys moto issued (moto's minimum DurationSeconds is 900) to now +
 *   `lifetimeMs`.
 * - {@link startS3AuthProxy}: S3 in front of moto, which never checks
 *   credentials. It reads the access key id of each request's SigV4
 *   Authorization header (`Credential=AKID/date/region/s3/aws4_request`) and
 *   answers 400 ExpiredToken, as S3 does, for a key past its enforced expiry,
 *   403 InvalidAccessKeyId for a key nobody issued; anything else is
 *   forwarded.
 *
 * The issuers and the S3 proxy share a {@link KeyLedger}: what was issued,
 * when it expires, and when S3 stops accepting it (`revokeAfterMs` makes S3
 * refuse keys before their stated expiry, as a skewed clock or an early
 * revocation does).
 */
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Issued keys: access key id -> when S3 stops accepting it (ms since epoch). */
export class KeyLedger {
  readonly #rejectAt = new Map<string, number>();
  /** Requests refused with ExpiredToken, and with InvalidAccessKeyId. */
  expiredRejections = 0;
  unknownRejections = 0;
  /** Requests accepted, by access key id. */
  readonly accepted = new Map<string, number>();

  issue(accessKeyId: string, rejectAt: number): void {
    this.#rejectAt.set(accessKeyId, rejectAt);
  }

  get issued(): number {
    return this.#rejectAt.size;
  }

  /** undefined when unknown. */
  rejectAt(accessKeyId: string): number | undefined {
    return this.#rejectAt.get(accessKeyId);
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Forward a buffered request to `target`; resolves with the status, headers and body. */
function forward(target: string, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  const url = new URL(req.url ?? '/', target);
  return new Promise((resolve, reject) => {
    const out = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (res) => {
      readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

function send(res: ServerResponse, status: number, headers: IncomingMessage['headers'], body: Buffer | string): void {
  const h: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') h[k] = v;
  res.writeHead(status, { ...h, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A running loopback server. */
export interface LoopbackServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

const s3Error = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>auth-proxy</RequestId></Error>`;

/**
 * S3 in front of `target` (moto) that enforces the expiry of the keys in `ledger`.
 *
 * @example
 * ```ts
 * const s3 = await startS3AuthProxy(process.env.JOBKIT_TEST_S3_ENDPOINT!, ledger);
 * ```
 */
export async function startS3AuthProxy(target: string, ledger: KeyLedger): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const akid = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const rejectAt = akid === undefined ? undefined : ledger.rejectAt(akid);
      if (akid === undefined || rejectAt === undefined) {
        ledger.unknownRejections++;
        send(res, 403, { 'content-type': 'application/xml' }, s3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'));
        return;
      }
      if (Date.now() >= rejectAt) {
        ledger.expiredRejections++;
        send(res, 400, { 'content-type': 'application/xml' }, s3Error('ExpiredToken', 'The provided token has expired.'));
        return;
      }
      ledger.accepted.set(akid, (ledger.accepted.get(akid) ?? 0) + 1);
      const out = await forward(target, req, body);
      send(res, out.status, out.headers, out.body);
    })().catch(() => res.destroy());
  });
  const endpoint = await listen(server);
  return { endpoint, close: () => close(server) };
}

/** Options of the issuers. */
export interface IssuerOptions {
  readonly ledger: KeyLedger;
  /** The Expiration the issued keys carry: now + this. */
  readonly lifetimeMs: number;
  /** S3 refuses a key this long after it was issued (default: at its Expiration). */
  readonly revokeAfterMs?: number;
  /**
   * Whether the token a pod presents (the Authorization header, the
   * WebIdentityToken) is valid now: the test's {@link RotatingToken} says.
   */
  readonly isValidToken: (token: string) => boolean;
}

/**
 * A projected service account token the way the kubelet rotates it: a new
 * token is written to the file (atomically, by rename) while the previous
 * one stays valid for a grace period, then is revoked.
 */
export class RotatingToken {
  readonly #valid = new Set<string>();
  readonly all: string[] = [];
  #n = 0;

  readonly file: string;
  readonly prefix: string;

  constructor(file: string, prefix: string) {
    this.file = file;
    this.prefix = prefix;
  }

  /** Write the next token; the previous ones are revoked after `graceMs`. */
  async rotate(graceMs = 500): Promise<string> {
    const token = `${this.prefix}.${randomBytes(18).toString('base64url')}.${++this.#n}`;
    const previous = [...this.#valid];
    this.#valid.add(token);
    this.all.push(token);
    await writeFile(`${this.file}.tmp`, token);
    await rename(`${this.file}.tmp`, this.file);
    setTimeout(() => {
      for (const t of previous) this.#valid.delete(t);
    }, graceMs).unref();
    return token;
  }

  /** Revoke every token (the issuer refuses all from now on). */
  revokeAll(): void {
    this.#valid.clear();
  }

  readonly isValid = (token: string): boolean => this.#valid.has(token);
}

function record(options: IssuerOptions, accessKeyId: string): Date {
  const now = Date.now();
  options.ledger.issue(accessKeyId, now + (options.revokeAfterMs ?? options.lifetimeMs));
  return new Date(now + options.lifetimeMs);
}

/** A running container credentials endpoint. */
export interface ContainerCredentialsServer extends LoopbackServer {
  /** The full URI, for AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  readonly uri: string;
  /** Calls answered with credentials, and refused for a wrong token. */
  readonly served: { ok: number; refused: number };
  /** Every secret it handed out (to check none is printed). */
  readonly secrets: string[];
}

/**
 * The EKS Pod Identity agent's endpoint: answers the token in `tokenFile`.
 *
 * @example
 * ```ts
 * const agent = await startContainerCredentialsServer({ ledger, lifetimeMs: 3_000, isValidToken: token.isValid });
 * ```
 */
export async function startContainerCredentialsServer(options: IssuerOptions): Promise<ContainerCredentialsServer> {
  const served = { ok: 0, refused: 0 };
  const secrets: string[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    {
      if (!options.isValidToken(req.headers.authorization?.trim() ?? '')) {
        served.refused++;
        send(res, 401, { 'content-type': 'application/json' }, JSON.stringify({ Code: 'AccessDenied', Message: 'invalid authorization token' }));
        return;
      }
      served.ok++;
      const AccessKeyId = `ASIAPODIDENTITY${String(++n).padStart(5, '0')}`;
      const SecretAccessKey = randomBytes(30).toString('base64');
      const Token = `pod-identity-session-${randomBytes(24).toString('base64url')}`;
      secrets.push(SecretAccessKey, Token);
      const Expiration = record(options, AccessKeyId).toISOString();
      send(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ AccessKeyId, SecretAccessKey, Token, AccountId: '123456789012', Expiration }));
    }
  });
  const endpoint = await listen(server);
  return { endpoint, uri: `${endpoint}/v1/credentials`, served, secrets, close: () => close(server) };
}

/** A running STS proxy. */
export interface StsProxy extends LoopbackServer {
  readonly served: { ok: number; refused: number };
  readonly secrets: string[];
}

/**
 * STS in front of `target` (moto): accepts only the web identity token
 * currently in `tokenFile`, shortens the keys' Expiration to `lifetimeMs`.
 *
 * @example
 * ```ts
 * const sts = await startStsProxy(motoEndpoint, { ledger, lifetimeMs: 3_000, isValidToken: token.isValid });
 * ```
 */
export async function startStsProxy(target: string, options: IssuerOptions): Promise<StsProxy> {
  const served = { ok: 0, refused: 0 };
  const secrets: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const form = new URLSearchParams(body.toString());
      if (form.get('Action') === 'AssumeRoleWithWebIdentity') {
        if (!options.isValidToken(form.get('WebIdentityToken')?.trim() ?? '')) {
          served.refused++;
          const xml = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>The web identity token is not valid</Message></Error><RequestId>sts-proxy</RequestId></ErrorResponse>`;
          send(res, 400, { 'content-type': 'text/xml' }, xml);
          return;
        }
      }
      const out = await forward(target, req, body);
      let text = out.body.toString();
      const akid = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
      if (out.status === 200 && akid !== undefined) {
        served.ok++;
        for (const tag of ['SecretAccessKey', 'SessionToken']) {
          const v = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(text)?.[1];
          if (v !== undefined) secrets.push(v);
        }
        const expiration = record(options, akid).toISOString();
        text = text.replace(/<Expiration>[^<]+<\/Expiration>/, `<Expiration>${expiration}</Expiration>`);
      }
      send(res, out.status, out.headers, text);
    })().catch(() => res.destroy());
  });
  const endpoint = await listen(server);
  return { endpoint, served, secrets, close: () => close(server) };
}
