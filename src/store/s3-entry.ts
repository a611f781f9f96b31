/**
 * `jobkit/store/s3`: the S3 backend class, for code that builds it directly
 * (its own S3Client, credentials in code). Importing it loads
 * @aws-sdk/client-s3; `openStore('s3://bucket/prefix')` from `jobkit` or
 * `jobkit/store` does so only at the store's first operation.
 *
 * @example
 * ```ts
 * import { S3Store } from 'jobkit/store/s3';
 *
 * const store = new S3Store({ bucket: 'my-bucket', prefix: 'jobkit', region: 'eu-west-1' });
 * ```
 */
export { S3Store, type S3StoreOptions } from './s3.ts';
