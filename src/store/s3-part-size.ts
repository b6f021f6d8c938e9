// Multipart part sizes: S3 allows at most 10,000 parts of 5 MiB to 5 GiB each and objects up to 5 TiB,
// so a fixed part size either wastes requests on small files or caps large ones (5 MiB caps at ~48.8 GiB).
// Kept free of the AWS SDK so it can be unit tested and used for planning without loading it.

import { badInput } from '../errors.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const MAX_PARTS = 10_000;
/** S3's smallest allowed part (all but the last). */
export const MIN_S3_PART_SIZE = 5 * MiB;
export const MAX_S3_PART_SIZE = 5 * GiB;
export const MAX_OBJECT_SIZE = 5 * 1024 * GiB;
/** claas's smallest part: fewer requests than S3's 5 MiB minimum, same as `aws s3`. */
export const DEFAULT_MIN_PART_SIZE = 8 * MiB;

/**
 * The part size for an object of `size` bytes: at least `minPartSize` (default 8 MiB), a whole number of
 * MiB, and large enough that the object fits in 10,000 parts. Throws BAD_INPUT past S3's 5 TiB limit.
 */
export function choosePartSize(size: number, minPartSize: number = DEFAULT_MIN_PART_SIZE): number {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw badInput(`Not an object size: ${size}`, String(size));
  }
  if (size > MAX_OBJECT_SIZE) {
    throw badInput(
      `An object of ${size} bytes is larger than S3's limit of 5 TiB`,
      String(size),
      'Split the file; S3 stores objects up to 5 TiB.',
    );
  }
  const needed = Math.ceil(size / MAX_PARTS);
  const roundedUp = Math.ceil(needed / MiB) * MiB;
  return Math.min(MAX_S3_PART_SIZE, Math.max(minPartSize, roundedUp));
}

/** How many parts an object of `size` bytes takes with parts of `partSize` bytes (an empty object: 1). */
export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}
