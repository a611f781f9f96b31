/** The push handshake's control file: what the SDK writes, what the supervisor reads, and the final-push rule. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXEC_CONTROL_ENV, announceToSupervisor, finalPlanOf, readExecControl } from '../../../src/telemetry/exec-control.ts';
import { JOBKIT_VARIABLES } from '../../../src/runtime/config.ts';

const GROUP = 'http://pgw:9091/metrics/job/etl/namespace/data/index/3';
const controlFile = (): string => join(mkdtempSync(join(tmpdir(), 'jobkit-control-')), 'control');
const quietLog = { warn: () => {}, info: () => {}, debug: () => {}, error: () => {} } as unknown as Parameters<typeof announceToSupervisor>[2];

describe('exec control file', () => {
  it('the SDK side announces at once and records its final push; the supervisor reads both for its group', () => {
    const path = controlFile();
    const writer = announceToSupervisor({ [EXEC_CONTROL_ENV]: path }, GROUP, quietLog);
    expect(readExecControl(path, GROUP)).toEqual({ started: new Set([process.pid]), pushedFinal: new Set() });
    expect(finalPlanOf(readExecControl(path, GROUP))).toBe('outcome');
    writer?.final(true);
    expect(readExecControl(path, GROUP).pushedFinal).toEqual(new Set([process.pid]));
    expect(finalPlanOf(readExecControl(path, GROUP))).toBe('skip');
  });

  it('not under the supervisor (variable unset or empty): writes nothing', () => {
    expect(announceToSupervisor({}, GROUP, quietLog)).toBeUndefined();
    expect(announceToSupervisor({ [EXEC_CONTROL_ENV]: ' ' }, GROUP, quietLog)).toBeUndefined();
    expect(JOBKIT_VARIABLES.has(EXEC_CONTROL_ENV)).toBe(true);
  });

  it('rules: no SDK program -> full; each one\'s final accepted -> skip; one without an accepted final -> outcome', () => {
    const path = controlFile();
    const lines = (events: object[]): void => writeFileSync(path, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    expect(finalPlanOf(readExecControl(join(path, 'missing'), GROUP))).toBe('full');
    lines([{ event: 'start', pid: 1, group: GROUP }, { event: 'final', pid: 1, group: GROUP, pushed: false }]);
    expect(finalPlanOf(readExecControl(path, GROUP))).toBe('outcome'); // its final push failed: the supervisor tries the outcome
    lines([
      { event: 'start', pid: 1, group: GROUP },
      { event: 'final', pid: 1, group: GROUP, pushed: true },
      { event: 'start', pid: 2, group: GROUP }, // a second SDK program (sh -c "node a.js; node b.js") that died
    ]);
    expect(finalPlanOf(readExecControl(path, GROUP))).toBe('outcome');
  });

  it('lines of another group (a program pushing elsewhere) and torn or foreign lines are ignored', () => {
    const path = controlFile();
    writeFileSync(path, `${JSON.stringify({ event: 'start', pid: 5, group: 'http://other:9091/metrics/job/x' })}\nnot json\n{"event":"start","pid":"6","group":"${GROUP}"}\n{"event":"sta`);
    expect(finalPlanOf(readExecControl(path, GROUP))).toBe('full');
  });

  it('a control file that cannot be written warns once per line and never throws', () => {
    const warnings: string[] = [];
    const log = { ...quietLog, warn: (_: unknown, msg: string) => void warnings.push(msg) } as unknown as typeof quietLog;
    const writer = announceToSupervisor({ [EXEC_CONTROL_ENV]: '/nonexistent/dir/control' }, GROUP, log);
    writer?.final(true);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('cannot write to the jobkit exec control file');
  });
});
