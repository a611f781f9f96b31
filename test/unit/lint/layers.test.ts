/**
 * The layers of src/ are enforced by the lint in the test command: a
 * wrong-way import is an error naming the folders the importer may use.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

// One instance: building the type-aware program is the slow part (seconds on a loaded machine).
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function lintImport(file: string, specifier: string): Promise<string[]> {
  // Linted as if it were that file: the real file's text plus one import.
  const [result] = await eslint.lintText(`import '${specifier}';\n`, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries (eslint.config.js)', { timeout: 120_000 }, () => {
  it.each([
    ['src/runtime/identity.ts', '../store/types.ts', 'src/runtime/ may import only src/util/'],
    ['src/store/fs.ts', '../telemetry/logger.ts', 'src/store/ may import only src/util/, src/runtime/'],
    ['src/checkpoint/checkpointer.ts', '../idempotency/index.ts', 'src/checkpoint/ may import only'],
    ['src/local/emulator.ts', '../job/run-job.ts', 'src/local/ may import only src/util/, src/runtime/'],
    ['src/job/run-job.ts', '../cli/main.ts', 'src/job/ may import only'],
    ['src/telemetry/logger.ts', '../index.ts', 'src/index.ts is the package entry'],
  ])('%s importing %s fails the lint', async (file, specifier, message) => {
    const messages = await lintImport(file, specifier);
    expect(messages.join('\n')).toContain(message);
    // The first lint builds the type-aware program of the whole project: seconds on 2 busy cores.
  }, 30_000);

  it.each([
    ['src/store/fs.ts', '../runtime/errors.ts'],
    ['src/checkpoint/checkpointer.ts', '../telemetry/span.ts'],
    ['src/job/run-job.ts', '../sharding/index.ts'],
    ['src/cli/main.ts', '../local/index.ts'],
  ])('%s may import %s', async (file, specifier) => {
    expect(await lintImport(file, specifier)).toEqual([]);
  });
});
