// Waits until a fresh two-zone Ceph test cluster really replicates: on a new cluster the second zone picks
// up bucket metadata and data only after a while (seen: up to ~2 min), which tests that poll for
// replication with their own timeouts must not pay for. Creates a bucket and an object at us-east-1,
// waits until us-west-2 serves the object, then removes both. Env: the `ceph.sh env` variables.
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, DeleteObjectCommand, DeleteBucketCommand } from '@aws-sdk/client-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const credentials = { accessKeyId: process.env.CLAAS_TEST_PUBLISHER_KEY, secretAccessKey: process.env.CLAAS_TEST_PUBLISHER_SECRET };
const client = (endpoint) =>
  new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const east = client(process.env.CLAAS_TEST_S3_EAST);
const west = client(process.env.CLAAS_TEST_S3_WEST);
const Bucket = `claas-warmup-${Date.now().toString(36)}`;
const started = Date.now();
await east.send(new CreateBucketCommand({ Bucket }));
await east.send(new PutObjectCommand({ Bucket, Key: 'probe', Body: 'warm' }));
const deadline = Date.now() + 300_000;
for (;;) {
  try {
    await west.send(new GetObjectCommand({ Bucket, Key: 'probe' }));
    break;
  } catch {
    if (Date.now() > deadline) {
      console.error('ceph-warmup: us-west-2 did not replicate within 300 s');
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
await east.send(new DeleteObjectCommand({ Bucket, Key: 'probe' }));
await east.send(new DeleteBucketCommand({ Bucket })).catch(() => undefined);
console.error(`ceph-warmup: us-west-2 replicates (${Math.round((Date.now() - started) / 1000)} s)`);
east.destroy();
west.destroy();
