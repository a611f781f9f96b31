/**
 * jobkit: the runtime SDK for batch jobs on Kubernetes.
 *
 * @packageDocumentation
 */
export * from './runtime/exit-codes.ts';
export * from './runtime/errors.ts';
export type * from './runtime/types.ts';
export type * from './store/types.ts';
export { PreconditionFailedError } from './store/errors.ts';
