/**
 * The training example's "model": a Float32Array of weights updated by a
 * deterministic step. Applying a step twice, or skipping one, changes the
 * final weights, so a byte-for-byte comparison with a clean run proves that a
 * resumed run continued at the exact step.
 */

/**
 * Initial weights for `length` parameters (the same on every run).
 *
 * @example
 * ```ts
 * const weights = initWeights(8 * 2 ** 20 / 4); // 8 MiB of float32
 * ```
 */
export function initWeights(length: number): Float32Array {
  const w = new Float32Array(length);
  for (let i = 0; i < length; i++) w[i] = (Math.imul(i + 1, 0x9e3779b1) >>> 0) / 4_294_967_296 - 0.5;
  return w;
}

/**
 * One training step in place: the "gradient" of step `step` on the generated
 * batch, scaled by the learning rate. Returns the step's loss.
 *
 * @example
 * ```ts
 * const loss = trainStep(weights, 17, 0.01);
 * ```
 */
export function trainStep(w: Float32Array, step: number, learningRate: number): number {
  // The "batch": a few values derived from the step, standing in for a data loader.
  const target = Math.sin(step * 0.37);
  const phase = (step * 2_654_435_761) >>> 0;
  let loss = 0;
  for (let i = 0; i < w.length; i++) {
    const x = (((i ^ phase) & 1023) - 512) / 512;
    const error = (w[i] ?? 0) * x - target;
    w[i] = (w[i] ?? 0) * 0.9995 - learningRate * error * x;
    if ((i & 4095) === 0) loss += error * error;
  }
  return loss / Math.ceil(w.length / 4096);
}

/**
 * The bytes of the weights (a copy: the caller keeps training while a
 * checkpoint uploads them).
 *
 * @example
 * ```ts
 * await job.checkpoint.saveInBackground({ step }, { weights: weightsToBytes(weights) });
 * ```
 */
export function weightsToBytes(w: Float32Array): Buffer {
  return Buffer.from(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength));
}

/**
 * Weights from checkpointed bytes (copied into an aligned array).
 *
 * @example
 * ```ts
 * const weights = bytesToWeights(await loaded.parts.get('weights')!.buffer());
 * ```
 */
export function bytesToWeights(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`weights part has ${bytes.byteLength} bytes, not a multiple of 4`);
  const w = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(w.buffer).set(bytes);
  return w;
}
