/**
 * A small client of the Kubernetes REST API over node:https: JSON requests
 * with the connection's client certificate, errors that carry the API
 * server's Status (its exact message), and nothing else. The kubelet and
 * `jobkit run --control-plane kube` need a dozen calls; a full client library
 * would be most of the install for them.
 */
import { Agent, request } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import type { KubeConnection } from './kubeconfig.ts';

/** The API server's `Status` for a failed request. */
export interface KubeStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly causes?: readonly { readonly field?: string; readonly message?: string; readonly reason?: string }[] };
}

/**
 * A request the API server refused: the HTTP code and its Status.
 *
 * @example
 * ```ts
 * try { await api.create('/apis/batch/v1/namespaces/default/jobs', job); } catch (err) {
 *   if (err instanceof KubeApiError && err.code === 422) console.error(err.status.message);
 * }
 * ```
 */
export class KubeApiError extends Error {
  readonly code: number;
  readonly status: KubeStatus;
  constructor(method: string, path: string, code: number, status: KubeStatus) {
    super(status.message ?? `${method} ${path}: HTTP ${code}`);
    this.name = 'KubeApiError';
    this.code = code;
    this.status = status;
  }
}

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown> & {
  metadata?: Record<string, unknown> & { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
};

/** Content types of PATCH. */
export type PatchType = 'merge' | 'strategic' | 'json';

const PATCH_CONTENT: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

/**
 * Calls the API server of a connection.
 *
 * @example
 * ```ts
 * const api = new KubeApi(readKubeconfig(kubeconfigPath));
 * const pods = await api.get<{ items: KubeObject[] }>('/api/v1/namespaces/default/pods');
 * ```
 */
export class KubeApi {
  readonly connection: KubeConnection;
  readonly #agent: Agent | HttpAgent;

  constructor(connection: KubeConnection) {
    this.connection = connection;
    this.#agent = connection.server.startsWith('https:')
      ? new Agent({ keepAlive: true, maxSockets: 8, ca: connection.ca, cert: connection.cert, key: connection.key })
      : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  }

  /** GET, parsed JSON. */
  get<T = KubeObject>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** GET, or undefined on 404. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** POST a new object (or a subresource such as a binding or an eviction). */
  create<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** PUT a whole object. */
  replace<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  /** PATCH. */
  patch<T = KubeObject>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.call<T>('PATCH', path, body, PATCH_CONTENT[type]);
  }

  /** DELETE with DeleteOptions; a 404 resolves undefined. */
  async delete<T = KubeObject>(path: string, options: Record<string, unknown> = {}): Promise<T | undefined> {
    try {
      return await this.call<T>('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', ...options });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  private call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const url = new URL(path, `${this.connection.server}/`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(payload.length);
    }
    if (this.connection.token !== undefined) headers['authorization'] = `Bearer ${this.connection.token}`;
    const send = url.protocol === 'https:' ? request : httpRequest;
    return new Promise<T>((resolvePromise, reject) => {
      const req = send(url, { method, headers, agent: this.#agent, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? {} : JSON.parse(text);
          } catch {
            json = { message: text.slice(0, 500) };
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolvePromise(json as T);
          else reject(new KubeApiError(method, url.pathname, code, json as KubeStatus));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: no answer from the API server within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
