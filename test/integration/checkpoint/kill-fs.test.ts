import { killTrials } from './kill-trials.ts';
import { TARGETS } from './stores.ts';

killTrials(TARGETS.find((t) => t.name === 'fs')!);
