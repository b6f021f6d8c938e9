// The AWS SDK stays inside src/store: no other module names an @aws-sdk or @smithy package, not in an import,
// an `import type`, a dynamic import() or a require(). The TypeScript sources are scanned (type-only imports
// leave no trace in the build).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository, resolved from <build folder>/test/unit/store. */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const SRC = join(REPO, 'src');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(path)));
    else if (e.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Module specifiers of the SDK named anywhere in a source (a string literal starting with the package scope). */
function sdkSpecifiers(text: string): string[] {
  return [...text.matchAll(/['"`](@aws-sdk\/[^'"`]*|@smithy\/[^'"`]*)['"`]/g)].map((m) => m[1]!);
}

test('the scan recognises every way of naming the SDK', () => {
  const sample = [
    "import { S3Client } from '@aws-sdk/client-s3';",
    "import type { LifecycleRule } from '@aws-sdk/client-s3';",
    'const sts = await import("@aws-sdk/client-sts");',
    "const h = require('@smithy/node-http-handler');",
    'const NAME = `@aws-sdk/client-iam`;',
    "import { ClaasError } from '../errors.js';",
  ].join('\n');
  assert.deepEqual(sdkSpecifiers(sample), [
    '@aws-sdk/client-s3',
    '@aws-sdk/client-s3',
    '@aws-sdk/client-sts',
    '@smithy/node-http-handler',
    '@aws-sdk/client-iam',
  ]);
});

test('no module outside src/store names the AWS SDK', async () => {
  assert.ok(existsSync(join(SRC, 'store', 'types.ts')), `the sources are not at ${SRC}`);
  const files = await sources(SRC);
  const outside = files.filter((f) => !relative(SRC, f).startsWith(`store${sep}`));
  assert.ok(outside.length > 50, `only ${outside.length} sources found under ${SRC}`);
  const offenders: string[] = [];
  for (const f of outside) {
    for (const s of sdkSpecifiers(await readFile(f, 'utf8'))) offenders.push(`${relative(REPO, f)}: ${s}`);
  }
  assert.deepEqual(offenders, [], 'the AWS SDK is used through src/store only');
  // The store itself does use it: the scan would see it there.
  const inside = files.filter((f) => relative(SRC, f).startsWith(`store${sep}`));
  const used = await Promise.all(inside.map(async (f) => sdkSpecifiers(await readFile(f, 'utf8')).length));
  assert.ok(
    used.some((n) => n > 0),
    'src/store names the SDK',
  );
});
