/**
 * The part of a kubeconfig that a client needs to reach an API server: the
 * current context's server URL, its CA, and a client certificate and key
 * (inline `*-data` fields or file paths, relative to the kubeconfig).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigurationError } from '../../runtime/errors.ts';

/** Where and how to connect. */
export interface KubeConnection {
  /** `https://127.0.0.1:6443`. */
  readonly server: string;
  /** PEM; undefined trusts the system CAs. */
  readonly ca: string | undefined;
  /** PEM client certificate and key (both or neither). */
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** A bearer token, when the user authenticates with one. */
  readonly token: string | undefined;
}

type Named = Record<string, unknown>;

function pick(list: unknown, name: string, what: string, file: string): Record<string, unknown> {
  const entries = Array.isArray(list) ? (list as Named[]) : [];
  const found = entries.find((e) => e?.name === name);
  if (found === undefined) throw new ConfigurationError(`${file}: no ${what} named "${name}"`);
  const inner = found[what === 'context' ? 'context' : what === 'cluster' ? 'cluster' : 'user'];
  return inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
}

function material(entry: Record<string, unknown>, dataField: string, fileField: string, base: string): string | undefined {
  const data = entry[dataField];
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
  const path = entry[fileField];
  if (typeof path === 'string' && path !== '') return readFileSync(isAbsolute(path) ? path : resolve(base, path), 'utf8');
  return undefined;
}

/**
 * Reads a kubeconfig file (its current context, or `context`).
 *
 * @throws ConfigurationError naming the file and what is missing.
 * @example
 * ```ts
 * const connection = readKubeconfig(process.env.KUBECONFIG ?? `${homedir()}/.kube/config`);
 * ```
 */
export function readKubeconfig(file: string, context?: string): KubeConnection {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigurationError(`cannot read the kubeconfig ${file}: ${(err as Error).message}`);
  }
  const contextName = context ?? doc['current-context'];
  if (typeof contextName !== 'string' || contextName === '') throw new ConfigurationError(`${file}: no current-context (and no context given)`);
  const ctx = pick(doc['contexts'], contextName, 'context', file);
  const clusterName = typeof ctx['cluster'] === 'string' ? ctx['cluster'] : '';
  const cluster = pick(doc['clusters'], clusterName, 'cluster', file);
  const user = pick(doc['users'], typeof ctx['user'] === 'string' ? ctx['user'] : '', 'user', file);
  const server = cluster['server'];
  if (typeof server !== 'string' || !/^https?:\/\//.test(server)) throw new ConfigurationError(`${file}: cluster ${clusterName} has no https server URL`);
  const base = dirname(file);
  const token = typeof user['token'] === 'string' && user['token'] !== '' ? user['token'] : undefined;
  return {
    server: server.replace(/\/+$/, ''),
    ca: material(cluster, 'certificate-authority-data', 'certificate-authority', base),
    cert: material(user, 'client-certificate-data', 'client-certificate', base),
    key: material(user, 'client-key-data', 'client-key', base),
    token,
  };
}
