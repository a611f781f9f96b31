/**
 * Reads Kubernetes secret volumes: one file per key under a mount path, kept
 * current by the kubelet's AtomicWriter. The kubelet never edits a file in
 * place: it writes every key into a new `..<timestamp>` directory, points a
 * `..data_tmp` symlink at it, renames that over `..data` (one atomic step)
 * and removes the old directory; each key is a symlink `key -> ..data/key`.
 *
 * So a value is read through the `..data` target resolved once per read
 * (`readlink`, then the file in that directory): either the whole old set or
 * the whole new set, never a mix. A read that races the removal of the old
 * directory (ENOENT after the swap) resolves `..data` again and reads the new
 * one. Values are cached per `..data` target, so a read costs one `readlink`
 * until the kubelet swaps. A directory without `..data` (a plain directory,
 * a `subPath` mount) is read file by file, every time.
 */
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigurationError } from './errors.ts';

/** Where secret volumes are mounted unless `JOBKIT_SECRETS_DIR` or the `dir` option says otherwise. */
export const DEFAULT_SECRETS_DIR = '/var/run/secrets/jobkit';

/**
 * How often `watch` looks at the `..data` symlink, in ms. The kubelet syncs
 * secret volumes about once a minute, so a second is plenty.
 *
 * @default 1000
 */
export const DEFAULT_SECRETS_POLL_MS = 1_000;

/** How many times a read resolves `..data` again after a swap raced it. */
const SWAP_RETRIES = 5;

/** The name of the kubelet's symlink to the current set of files. */
const DATA_LINK = '..data';

/** Options of {@link SecretsVolume}. */
export interface SecretsVolumeOptions {
  /**
   * The mount path. Env: JOBKIT_SECRETS_DIR.
   *
   * @default {@link DEFAULT_SECRETS_DIR} (`/var/run/secrets/jobkit`)
   */
  readonly dir?: string;
  /**
   * Called with every value read, before it is returned: runJob registers
   * it with the logger, so the value is redacted from every log line.
   */
  readonly onValue?: (value: string) => void;
  /**
   * Poll period of {@link SecretsVolume.watch}, in ms.
   *
   * @default {@link DEFAULT_SECRETS_POLL_MS} (1000)
   */
  readonly pollMs?: number;
}

/** Options of {@link SecretsVolume.watch}. */
export interface WatchSecretOptions {
  /** Stops watching when aborted (`job.signal` in a job). */
  readonly signal?: AbortSignal;
}

/**
 * A secret key that is not a Kubernetes key name, or would leave the mount
 * path: configuration (78).
 */
export class InvalidSecretNameError extends ConfigurationError {}

/** The key is not in the volume: configuration (78), the pod spec lacks it. */
export class SecretNotFoundError extends ConfigurationError {}

/**
 * Throw unless `name` is a Kubernetes secret key (`[-._a-zA-Z0-9]+`, at most
 * 253 characters) that is a file of the volume itself: `.`, `..`, and the
 * kubelet's own `..data`-style names are refused.
 *
 * @example
 * ```ts
 * assertSecretName('api-token'); // ok
 * assertSecretName('../etc/passwd'); // throws InvalidSecretNameError
 * ```
 */
export function assertSecretName(name: string): void {
  if (!/^[-._a-zA-Z0-9]{1,253}$/.test(name) || name === '.' || name.startsWith('..')) {
    throw new InvalidSecretNameError(`invalid secret name ${JSON.stringify(name.slice(0, 80))}: a Kubernetes secret key ([-._a-zA-Z0-9]+, not "." or starting with "..")`);
  }
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * The files of a mounted secret volume, always current.
 *
 * @example
 * ```ts
 * const secrets = new SecretsVolume({ dir: '/var/run/secrets/api' });
 * const token = await secrets.get('token');
 * const stop = secrets.watch('token', (value) => client.setToken(value));
 * ```
 */
export class SecretsVolume {
  /** The mount path. */
  readonly dir: string;
  readonly #onValue: ((value: string) => void) | undefined;
  readonly #pollMs: number;
  /** Values read under the current `..data` target. */
  #cache = new Map<string, string>();
  #cachedTarget: string | undefined;

  constructor(options: SecretsVolumeOptions = {}) {
    this.dir = options.dir ?? DEFAULT_SECRETS_DIR;
    this.#onValue = options.onValue;
    this.#pollMs = options.pollMs ?? DEFAULT_SECRETS_POLL_MS;
    if (!Number.isSafeInteger(this.#pollMs) || this.#pollMs < 10) {
      throw new ConfigurationError(`secrets option pollMs must be an integer >= 10, got ${this.#pollMs}`);
    }
  }

  /**
   * The current value of `name` (the file's bytes as UTF-8, unchanged: a
   * trailing newline stays).
   *
   * @throws InvalidSecretNameError for a name that is not a key; SecretNotFoundError when the volume lacks it.
   * @example
   * ```ts
   * const password = await secrets.get('db-password');
   * ```
   */
  async get(name: string): Promise<string> {
    assertSecretName(name);
    for (let attempt = 0; ; attempt++) {
      const target = await this.#dataTarget();
      if (target === undefined) return this.#seen(await this.#readPlain(name));
      if (target !== this.#cachedTarget) {
        this.#cache = new Map();
        this.#cachedTarget = target;
      }
      const cached = this.#cache.get(name);
      if (cached !== undefined) return cached;
      try {
        const value = await readFile(join(this.dir, target, name), 'utf8');
        // Cache only under the target it was read from.
        if (this.#cachedTarget === target) this.#cache.set(name, value);
        return this.#seen(value);
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw this.#unreadable(name, err);
        // The old directory went away under us: a swap happened if ..data moved.
        const now = await this.#dataTarget();
        if (now === target || attempt >= SWAP_RETRIES) throw this.#missing(name);
      }
    }
  }

  /**
   * Call `onChange` with the new value whenever `name` changes (polled every
   * `pollMs`), until the returned function is called or `signal` aborts. The
   * first call comes on the first change, not at once: read the first value
   * with {@link get}. A failed read (the key removed) is skipped and tried at
   * the next poll.
   *
   * @example
   * ```ts
   * const stop = secrets.watch('api-token', (token) => { current = token; }, { signal: job.signal });
   * ```
   */
  watch(name: string, onChange: (value: string) => void, options: WatchSecretOptions = {}): () => void {
    assertSecretName(name);
    const stop = new AbortController();
    const signal = options.signal === undefined ? stop.signal : AbortSignal.any([stop.signal, options.signal]);
    void (async () => {
      let last = await this.get(name).catch(() => undefined);
      while (!signal.aborted) {
        await sleep(this.#pollMs, undefined, { signal, ref: false }).catch(() => undefined);
        if (signal.aborted) return;
        const value = await this.get(name).catch(() => undefined);
        if (value !== undefined && value !== last) {
          last = value;
          onChange(value);
        }
      }
    })();
    return () => stop.abort();
  }

  /**
   * The values of `name` as they change, starting with the current one.
   *
   * @example
   * ```ts
   * for await (const token of secrets.values('api-token', { signal: job.signal })) client.setToken(token);
   * ```
   */
  async *values(name: string, options: WatchSecretOptions = {}): AsyncGenerator<string, void, undefined> {
    const queue: string[] = [await this.get(name)];
    let wake: (() => void) | undefined;
    const stop = this.watch(name, (v) => { queue.push(v); wake?.(); }, options);
    const aborted = new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
    try {
      while (options.signal?.aborted !== true) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
      }
    } finally {
      stop();
    }
  }

  async #dataTarget(): Promise<string | undefined> {
    try {
      return await readlink(join(this.dir, DATA_LINK));
    } catch (err) {
      const code = errno(err);
      if (code === 'ENOENT' || code === 'EINVAL') return undefined;
      throw new ConfigurationError(`secrets volume ${this.dir} cannot be read (${code ?? 'error'})`);
    }
  }

  async #readPlain(name: string): Promise<string> {
    try {
      return await readFile(join(this.dir, name), 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') throw this.#missing(name);
      throw this.#unreadable(name, err);
    }
  }

  #seen(value: string): string {
    this.#onValue?.(value);
    return value;
  }

  #missing(name: string): SecretNotFoundError {
    return new SecretNotFoundError(`secret "${name}" is not in the secrets volume ${this.dir} (JOBKIT_SECRETS_DIR): add the key to the Secret or the volume's items`);
  }

  #unreadable(name: string, err: unknown): ConfigurationError {
    return new ConfigurationError(`secret "${name}" in ${this.dir} cannot be read (${errno(err) ?? 'error'})`);
  }
}
