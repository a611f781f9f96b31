/**
 * `jobkit exec --checkpoint-dir` with the real CLI, real child processes and
 * real signals, on a file:// store and on S3 (moto): the first attempt starts
 * empty, saves are taken on the request file, on SIGUSR1, periodically and
 * after SIGTERM, the next attempt restores the exact content (bytes, modes,
 * nested and empty directories, empty files, symlinks) and unchanged files
 * are reused, not uploaded again.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ListedEntry } from './dir-child.ts';
import { type ExecResult, execEnv, messages, runJobkit, tempDir } from './exec-child.ts';

const CHILD = new URL('./dir-child.ts', import.meta.url).pathname;

const stores = {
  fs: () => pathToFileURL(join(tempDir(), 'store')).href,
  's3 (moto)': () => `s3://${process.env.JOBKIT_TEST_S3_BUCKET}/dircp-e2e/${randomUUID()}`,
};

/** Lines with message `msg`. */
function linesOf(result: ExecResult, msg: string): Record<string, unknown>[] {
  return result.lines.filter((l) => l.msg === msg);
}

function listingOf(result: ExecResult): ListedEntry[] {
  const line = result.lines.find((l) => String(l.msg).startsWith('listing='));
  if (line === undefined) throw new Error(`no listing in\n${result.stdout}`);
  return JSON.parse(String(line.msg).slice('listing='.length)) as ListedEntry[];
}

describe.each(Object.entries(stores))('jobkit exec --checkpoint-dir on the %s store', (_, storeUrl) => {
  const setup = (): { env: (attempt: number, extra?: Record<string, string>) => NodeJS.ProcessEnv; dir: string } => {
    const store = storeUrl();
    const job = `dircp-${randomUUID().slice(0, 8)}`;
    const dir = join(tempDir(), 'state');
    return {
      dir,
      env: (attempt, extra = {}) =>
        execEnv({
          JOBKIT_STORE: store,
          JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT ?? '',
          JOBKIT_JOB_NAME: job,
          JOBKIT_ATTEMPT: String(attempt),
          JOBKIT_LOG_LEVEL: 'debug',
          ...extra,
        }),
    };
  };

  it('first attempt: empty directory; a save on the request file; the next attempt restores the exact content', async () => {
    const { dir, env } = setup();
    const script = [
      'set -e',
      'd="$JOBKIT_CHECKPOINT_DIR"',
      'echo "entries=$(ls -A "$d" | wc -l) committed=$(cat "$JOBKIT_CHECKPOINT_COMMITTED" 2>/dev/null || echo none)"',
      'mkdir -p "$d/model/empty" "$d/deep/a/b/c"',
      'head -c 300000 /dev/urandom > "$d/model/weights.pt"',
      'printf \'{"step":41}\' > "$d/progress.json"',
      ': > "$d/deep/a/b/c/zero"',
      'printf "x" > "$d/run.sh"; chmod 750 "$d/run.sh"; chmod 600 "$d/progress.json"; chmod 700 "$d/model/empty"',
      'ln -s model/weights.pt "$d/latest"',
      'touch "$JOBKIT_CHECKPOINT_REQUEST"',
      'while [ -e "$JOBKIT_CHECKPOINT_REQUEST" ]; do sleep 0.02; done',
      'echo "acknowledged=$(cat "$JOBKIT_CHECKPOINT_COMMITTED")"',
      `exec node ${CHILD} list`,
    ].join('\n');
    const first = await runJobkit(['exec', '--checkpoint-dir', dir, '--checkpoint-every', '0', '--', 'sh', '-c', script], env(0));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(messages(first)).toContain('entries=0 committed=none');
    expect(messages(first)).toContain('no checkpoint yet: the checkpoint directory is left as it is');
    const saved = linesOf(first, 'directory checkpoint saved');
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ reason: 'request-file', seq: 1, files: 4, uploadedBytes: 300_000 + 11 + 1 });
    expect(messages(first)).toContain('acknowledged=1');
    const written = listingOf(first);

    // The next attempt on another machine: the directory is gone.
    const second = await runJobkit(['exec', '--checkpoint-dir', dir, '--', 'node', CHILD, 'list'], env(1));
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(linesOf(second, 'checkpoint directory restored')[0]).toMatchObject({ seq: 1, files: 4, links: 1 });
    expect(listingOf(second)).toEqual(written);
    expect(messages(second)).toContain('committed=1');
    expect(written.find((e) => e.path === 'run.sh')?.mode).toBe(0o750);
    expect(written.find((e) => e.path === 'model/empty')).toMatchObject({ type: 'dir', mode: 0o700 });
    expect(written.find((e) => e.path === 'latest')).toMatchObject({ type: 'symlink', target: 'model/weights.pt' });
    // No temporary sibling is left.
    expect(readdirSync(join(dir, '..')).filter((n) => n.includes('jobkit-'))).toEqual([]);
  });

  it('saves on SIGUSR1 and after SIGTERM (the final save); the next attempt resumes from the final one and unchanged files are reused', async () => {
    const { dir, env } = setup();
    const script = [
      'd="$JOBKIT_CHECKPOINT_DIR"',
      `trap 'echo final > "$d/progress"; exit 143' TERM`,
      'head -c 1000000 /dev/urandom > "$d/big.bin"',
      'echo one > "$d/progress"',
      'echo ready',
      'while :; do sleep 0.02; done',
    ].join('\n');
    let usr1Sent = false;
    const first = await runJobkit(['exec', '--checkpoint-dir', dir, '--checkpoint-every', '0', '--', 'sh', '-c', script], env(0), (line, child) => {
      if (line.msg === 'ready') {
        usr1Sent = true;
        child.kill('SIGUSR1');
      }
      if (line.msg === 'directory checkpoint saved') child.kill('SIGTERM');
    });
    expect(usr1Sent).toBe(true);
    expect(first.code, first.stdout + first.stderr).toBe(143);
    const usr1 = linesOf(first, 'directory checkpoint saved');
    expect(usr1[0]).toMatchObject({ reason: 'SIGUSR1', seq: 1, files: 2, uploadedBytes: 1_000_004 });
    const final = linesOf(first, 'final checkpoint durable');
    expect(final).toHaveLength(1);
    // Only the file the program changed after the SIGUSR1 save is uploaded by the final save.
    expect(final[0]).toMatchObject({ seq: 2, uploadedBytes: 6 });
    expect((final[0]?.reusedParts as string[]).length).toBe(1);

    const second = await runJobkit(['exec', '--checkpoint-dir', dir, '--', 'sh', '-c', 'cat "$JOBKIT_CHECKPOINT_DIR/progress"'], env(1));
    expect(second.code, second.stderr).toBe(0);
    expect(messages(second)).toContain('final');
  });

  it('saves every --checkpoint-every seconds while the program runs, one save at a time', async () => {
    const { dir, env } = setup();
    const script = 'i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo $i > "$JOBKIT_CHECKPOINT_DIR/n.tmp"; mv "$JOBKIT_CHECKPOINT_DIR/n.tmp" "$JOBKIT_CHECKPOINT_DIR/n"; sleep 0.1; done';
    const result = await runJobkit(['exec', '--checkpoint-dir', dir, '--checkpoint-every', '0.5', '--', 'sh', '-c', script], env(0));
    expect(result.code, result.stderr).toBe(0);
    const periodic = linesOf(result, 'directory checkpoint saved').filter((l) => l.reason === 'periodic');
    expect(periodic.length).toBeGreaterThanOrEqual(2);
    const seqs = periodic.map((l) => Number(l.seq));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });
});

describe('jobkit exec --checkpoint-dir: restore semantics and limits (file:// store)', () => {
  const env = (store: string, job: string, attempt: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
    execEnv({ JOBKIT_STORE: store, JOBKIT_JOB_NAME: job, JOBKIT_ATTEMPT: String(attempt), JOBKIT_LOG_LEVEL: 'debug', ...extra });

  it('without a checkpoint, content already in the directory is left; with one, the directory is replaced by the checkpoint', async () => {
    const store = pathToFileURL(join(tempDir(), 'store')).href;
    const dir = join(tempDir(), 'state');
    mkdirSync(dir);
    writeFileSync(join(dir, 'seed'), 'from the image');
    const first = await runJobkit(['exec', '--checkpoint-dir', dir, '--', 'sh', '-c', 'cat "$JOBKIT_CHECKPOINT_DIR/seed"; echo saved > "$JOBKIT_CHECKPOINT_DIR/out"'], env(store, 'keep', 0));
    expect(first.code, first.stderr).toBe(0);
    expect(messages(first)).toContain('from the image');
    // A stale file of this machine is not in the checkpoint: it goes.
    writeFileSync(join(dir, 'stale'), 'local only');
    writeFileSync(join(dir, 'out'), 'changed locally');
    const second = await runJobkit(['exec', '--checkpoint-dir', dir, '--', 'sh', '-c', 'ls "$JOBKIT_CHECKPOINT_DIR"; cat "$JOBKIT_CHECKPOINT_DIR/out"'], env(store, 'keep', 1));
    expect(second.code, second.stderr).toBe(0);
    expect(messages(second)).toEqual(expect.arrayContaining(['out', 'seed', 'saved']));
    expect(messages(second)).not.toContain('stale');
  });

  it('a save during which the program writes fails softly (warned, counted, retried); nothing torn is committed', async () => {
    const store = pathToFileURL(join(tempDir(), 'store')).href;
    const dir = join(tempDir(), 'state');
    // Rewrites a 2 MB file in place as fast as it can for 3 s: periodic saves see it change.
    const script = `node -e 'const fs=require("fs");const p=process.env.JOBKIT_CHECKPOINT_DIR+"/busy";const end=Date.now()+3000;let i=0;while(Date.now()<end){fs.writeFileSync(p,Buffer.alloc(2e6,i++%256));}'`;
    const result = await runJobkit(['exec', '--checkpoint-dir', dir, '--checkpoint-every', '0.2', '--', 'sh', '-c', script], env(store, 'busy', 0));
    expect(result.code, result.stderr).toBe(0);
    const failed = linesOf(result, 'directory checkpoint not saved; the next trigger retries');
    expect(failed.every((l) => /changed while it was being saved/.test(JSON.stringify(l.err)))).toBe(true);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.map((l) => Number(l.failedSaves))).toEqual(failed.map((_, i) => i + 1));
    expect(result.lines.find((l) => l.msg === 'final checkpoint durable')).toBeDefined();
    const next = await runJobkit(['exec', '--checkpoint-dir', dir, '--', 'node', CHILD, 'list'], env(store, 'busy', 1));
    const busy = listingOf(next).find((e) => e.path === 'busy');
    const content = readFileSync(join(dir, 'busy'));
    expect(busy?.size).toBe(2e6);
    expect(content.every((b) => b === content[0])).toBe(true);
  });

  it('requests during a save coalesce into one more save; a save in flight at SIGTERM is abandoned for the final one', async () => {
    const store = pathToFileURL(join(tempDir(), 'store')).href;
    const dir = join(tempDir(), 'state');
    const script = ['head -c 80000000 /dev/urandom > "$JOBKIT_CHECKPOINT_DIR/big"', 'echo ready', "trap 'exit 143' TERM", 'while :; do sleep 0.02; done'].join('\n');
    let requested = 0;
    let saved = false;
    const result = await runJobkit(['exec', '--checkpoint-dir', dir, '--checkpoint-every', '0', '--', 'sh', '-c', script], env(store, 'coalesce', 0), (line, child) => {
      // One signal at a time, each after the previous one was taken: two of a kind pending together are delivered once.
      if (line.msg === 'ready') child.kill('SIGUSR1');
      if (line.msg === 'directory checkpoint requested') {
        requested += 1;
        if (requested < 5) child.kill('SIGUSR1');
      }
      if (line.msg === 'directory checkpoint saved') saved = true;
      // The first save is done and all five requests were taken: the coalesced one has started; stop now.
      if (saved && requested === 5) {
        saved = false;
        child.kill('SIGTERM');
      }
    });
    expect(result.code, result.stdout.slice(-3000)).toBe(143);
    expect(requested).toBe(5);
    expect(linesOf(result, 'directory checkpoint saved')).toHaveLength(1);
    expect(linesOf(result, 'directory checkpoint abandoned (the program ended or the job is stopping): the final save takes over')).toHaveLength(1);
    expect(linesOf(result, 'final checkpoint durable')).toHaveLength(1);
  });

  it('the request file stays while saves fail (the program keeps writing) and goes once a save after it committed', async () => {
    const store = pathToFileURL(join(tempDir(), 'store')).href;
    const dir = join(tempDir(), 'state');
    // Touch the request, keep writing for 2.5 s (every save fails), then stop writing and wait for the request to be taken.
    const script = `node -e '
      const fs = require("fs"); const d = process.env.JOBKIT_CHECKPOINT_DIR; const r = process.env.JOBKIT_CHECKPOINT_REQUEST;
      fs.writeFileSync(r, ""); const end = Date.now() + 2500; let i = 0;
      while (Date.now() < end) fs.writeFileSync(d + "/busy", Buffer.alloc(1e6, i++ % 256));
      console.log("present=" + fs.existsSync(r)); fs.writeFileSync(d + "/done", "yes");
      const t = setInterval(() => { if (!fs.existsSync(r)) { clearInterval(t); console.log("taken=" + fs.readFileSync(process.env.JOBKIT_CHECKPOINT_COMMITTED, "utf8").trim()); } }, 10);'`;
    const result = await runJobkit(['exec', '--checkpoint-dir', dir, '--checkpoint-every', '0', '--', 'sh', '-c', script], env(store, 'request', 0));
    expect(result.code, result.stdout.slice(-3000)).toBe(0);
    expect(messages(result)).toContain('present=true');
    expect(linesOf(result, 'directory checkpoint not saved; the next trigger retries').length).toBeGreaterThanOrEqual(1);
    expect(messages(result)).toContain('taken=1');
    const saved = linesOf(result, 'directory checkpoint saved');
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ reason: 'request-file', seq: 1 });
  });

  it('refuses bad values before the program starts (78), naming the flag or the variable', async () => {
    const marker = join(tempDir(), 'started');
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--checkpoint-dir', '/tmp/x', '--checkpoint-every', 'soon'], {}, '--checkpoint-every'],
      [['--checkpoint-dir', '/'], {}, '--checkpoint-dir'],
      [[], { JOBKIT_EXEC_CHECKPOINT_DIR: join(tempDir(), 's'), JOBKIT_EXEC_CHECKPOINT_EVERY: '-5' }, 'JOBKIT_EXEC_CHECKPOINT_EVERY'],
    ];
    for (const [flags, extra, named] of cases) {
      const result = await runJobkit(['exec', ...flags, '--', 'sh', '-c', `touch ${marker}`], execEnv(extra));
      expect(result.code, result.stdout).toBe(78);
      expect(result.stdout + result.stderr).toContain(named);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it('refuses a file in place of the directory (78) before the program starts', async () => {
    const path = join(tempDir(), 'file');
    writeFileSync(path, 'x');
    chmodSync(path, 0o644);
    const result = await runJobkit(['exec', '--checkpoint-dir', path, '--', 'true'], execEnv({ JOBKIT_STORE: pathToFileURL(join(tempDir(), 'store')).href }));
    expect(result.code).toBe(78);
    expect(result.stdout).toContain('is not a directory');
  });
});
