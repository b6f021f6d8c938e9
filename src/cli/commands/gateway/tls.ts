// The gateway's TLS certificate and key: files given on the command line or in claas.yaml, or a
// self-signed pair made once and kept beside the configuration.

import { open, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ClaasError, badInput } from '../../../errors.js';
import type { GatewayConfig } from '../../../config/schema.js';
import type { GatewaySettings } from '../../../gateway/multi/from-config.js';
import { generateSelfSigned } from '../../../net/tls.js';

export type TlsSource = { kind: 'files'; certFile: string; keyFile: string } | { kind: 'self-signed' };

/** TLS from --tls-cert/--tls-key/--self-signed; undefined when none is given (claas.yaml decides). */
export function tlsFromFlags(flags: {
  tlsCert?: string;
  tlsKey?: string;
  selfSigned?: boolean;
}): TlsSource | undefined {
  if (flags.selfSigned && (flags.tlsCert || flags.tlsKey)) {
    throw badInput('give --tls-cert and --tls-key, or --self-signed', '--self-signed');
  }
  if (flags.tlsCert || flags.tlsKey) {
    if (!flags.tlsCert || !flags.tlsKey) {
      throw badInput(
        '--tls-cert and --tls-key go together',
        flags.tlsCert ?? flags.tlsKey ?? '',
        'give both PEM files',
      );
    }
    return { kind: 'files', certFile: flags.tlsCert, keyFile: flags.tlsKey };
  }
  return flags.selfSigned ? { kind: 'self-signed' } : undefined;
}

/** TLS from the flags, else from the configuration's gateway.tls; undefined: plain HTTP. */
export function tlsSource(fromFlags: TlsSource | undefined, gw: GatewayConfig): TlsSource | undefined {
  if (fromFlags !== undefined) return fromFlags;
  if (gw.tls === undefined) return undefined;
  return 'selfSigned' in gw.tls ? { kind: 'self-signed' } : { kind: 'files', ...gw.tls };
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new ClaasError('BAD_INPUT', `cannot read the TLS ${what}`, {
      input: path,
      hint: 'check the path and permissions',
    });
  }
}

async function writeNew(path: string, data: string | Buffer, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}

/**
 * The TLS certificate and key. A self-signed pair is made once and kept beside the configuration
 * (claas-gateway-cert.pem, claas-gateway-key.pem with mode 0600), so the thumbprint vCenter pins survives
 * restarts; gateways behind one load balancer should share one real certificate instead.
 */
export async function loadTls(
  src: TlsSource | undefined,
  settings: GatewaySettings,
  host: string,
): Promise<{ cert: Buffer; key: Buffer; note?: string } | undefined> {
  if (src === undefined) return undefined;
  if (src.kind === 'files')
    return { cert: await readPem(src.certFile, 'certificate'), key: await readPem(src.keyFile, 'key') };
  const dir = dirname(settings.configs[0]!.file);
  const certFile = join(dir, 'claas-gateway-cert.pem');
  const keyFile = join(dir, 'claas-gateway-key.pem');
  try {
    return {
      cert: await readFile(certFile),
      key: await readFile(keyFile),
      note: `self-signed certificate ${certFile}`,
    };
  } catch {
    // Not made yet.
  }
  const name = host === '0.0.0.0' || host === '::' ? hostname() : host;
  const pair = await generateSelfSigned(name);
  await writeNew(keyFile, pair.key, 0o600);
  await writeNew(certFile, pair.cert, 0o644);
  return { ...pair, note: `new self-signed certificate ${certFile}` };
}
