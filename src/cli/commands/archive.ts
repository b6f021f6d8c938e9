// `claas archive snapshot|list|verify|restore|retain|release`: copies of library versions at an archive
// location (default <library>/.claas-archive), checked by SHA-256, restorable; and retention of versions
// in the library itself.

import type { Command } from 'commander';
import { appendAudit } from '../../publish/audit.js';
import { resolveActor } from '../../publish/identity.js';
import { readRetention, releaseVersions, retainVersions, setRetentionPolicy } from '../../publish/retain.js';
import {
  DEFAULT_ARCHIVE_DIR,
  listArchives,
  restoreAsNewVersion,
  restoreToLocation,
  snapshotArchive,
  verifyArchive,
} from '../../archive/snapshot-archive.js';
import type { ArchiveVerifyReport } from '../../archive/snapshot-archive.js';
import { childLocation, openTargetStore, otherLocation, resolveTarget } from '../../archive/target.js';
import type { LibraryTarget, TargetFlags } from '../../archive/target.js';
import { EXIT, badInput } from '../../errors.js';
import { DEFAULT_GC_GRACE_MS } from '../../publish/publish.js';
import { displayLocation } from '../../store/location.js';
import { openStore } from '../../store/open.js';
import type { Location, ObjectStore, WriteSettings } from '../../store/types.js';
import { formatBytes, note, printJson, say } from '../output.js';
import { parseDuration, parsePositiveInt } from '../options.js';
import { runCommand } from '../run.js';
import { addTargetFlags } from './history.js';

interface CommonFlags extends TargetFlags {
  json?: boolean;
  quiet?: boolean;
}

function archiveLocation(target: LibraryTarget, text: string | undefined): Location {
  return text === undefined
    ? childLocation(target.location, DEFAULT_ARCHIVE_DIR)
    : otherLocation(text, target.location);
}

/** Encryption only: archive documents and manifests are written in STANDARD. */
function sseOnly(write: WriteSettings): WriteSettings {
  return write.sse === undefined ? {} : { sse: write.sse };
}

function common(cmd: Command): Command {
  cmd.option('--json', 'print the result as JSON').option('-q, --quiet', 'print nothing but errors');
  return addTargetFlags(cmd);
}

function parseVersions(list: string[]): number[] {
  return list.map((v) => parsePositiveInt(v, 'library version'));
}

export function registerArchive(program: Command): void {
  const archive = program
    .command('archive')
    .description(
      'copy library versions to an archive location, list, verify and restore them; retain versions',
    );

  const snapshot = archive
    .command('snapshot')
    .description("copy the library's current version with a manifest (size and SHA-256 of every file)")
    .option('--to <location>', `archive location (default: <library>/${DEFAULT_ARCHIVE_DIR})`)
    .option(
      '--storage-class <class>',
      'storage class of the archived file bytes (GLACIER, DEEP_ARCHIVE, STANDARD_IA...)',
    )
    .option(
      '--sse <mode>',
      "server-side encryption of the archive: AES256 or aws:kms (default: the origin's)",
    )
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--force', 'archive again even when an archive of this version exists')
    .option('--create-bucket', 'create the archive bucket when it does not exist')
    .option('--concurrency <n>', 'files copied at once', '4');
  common(snapshot).action(
    async (
      flags: CommonFlags & {
        to?: string;
        storageClass?: string;
        force?: boolean;
        createBucket?: boolean;
        concurrency: string;
      },
    ) => {
      await runCommand(flags, async (mode) => {
        const target = await resolveTarget(flags);
        const library = await openTargetStore(target);
        const loc = archiveLocation(target, flags.to);
        const sse = sseOnly(target.write);
        const archiveStore = await openStore(loc, {
          write: {
            ...sse,
            ...(flags.storageClass === undefined ? {} : { storageClass: flags.storageClass }),
          },
          ...(flags.createBucket ? { createBucket: true } : {}),
        });
        const actor = await resolveActor(library);
        const r = await snapshotArchive({
          library,
          archive: archiveStore,
          write: sse,
          ...(flags.storageClass === undefined ? {} : { storageClass: flags.storageClass }),
          actor,
          force: flags.force ?? false,
          concurrency: parsePositiveInt(flags.concurrency, '--concurrency'),
        });
        if (mode.json) printJson({ ok: true, ...r });
        else if (r.skipped) {
          say(
            mode,
            `library version ${r.library.version} is archived already as ${r.id} at ${r.location} (use --force for another copy)`,
          );
        } else {
          say(
            mode,
            `archived library "${r.library.name}" version ${r.library.version} as ${r.id} at ${r.location}: ` +
              `${r.files} files, ${formatBytes(r.bytes)} (${r.copies['server-side']} copied server-side, ` +
              `${r.copies.stream + r.copies.file} streamed${r.resumed ? `, ${r.copies.present} already there from the interrupted run` : ''})`,
          );
          say(mode, `manifest sha256 ${r.manifestSha256} (recorded in the library's audit log)`);
        }
        return 0;
      });
    },
  );

  const list = archive
    .command('list')
    .description('list the archives at the archive location')
    .option('--archive <location>', `archive location (default: <library>/${DEFAULT_ARCHIVE_DIR})`);
  common(list).action(async (flags: CommonFlags & { archive?: string }) => {
    await runCommand(flags, async (mode) => {
      const target = await resolveTarget(flags);
      const store = await openStore(archiveLocation(target, flags.archive));
      const archives = await listArchives(store);
      if (mode.json) {
        printJson({
          ok: true,
          location: store.display,
          archives: archives.map((a) => ({
            id: a.id,
            complete: a.complete,
            ...(a.manifest === undefined
              ? {}
              : {
                  library: a.manifest.library,
                  createdAt: a.manifest.createdAt,
                  actor: a.manifest.actor.name,
                  storageClass: a.manifest.storageClass,
                  encryption: a.manifest.encryption,
                  files: a.manifest.totals.files,
                  bytes: a.manifest.totals.bytes,
                  manifestSha256: a.manifestSha256,
                }),
            ...(a.pending === undefined ? {} : { pending: a.pending }),
          })),
        });
        return 0;
      }
      if (archives.length === 0) say(mode, `no archives at ${store.display}`);
      for (const a of archives) {
        const m = a.manifest;
        say(
          mode,
          m === undefined
            ? `${a.id}  INCOMPLETE (interrupted; \`claas archive snapshot\` continues it)`
            : `${a.id}  library "${m.library.name}" version ${m.library.version}  archived ${m.createdAt} by ${m.actor.name}  ` +
                `${m.totals.files} files ${formatBytes(m.totals.bytes)}${m.storageClass ? `  ${m.storageClass}` : ''}${m.encryption ? `  ${m.encryption.sse}` : ''}`,
        );
      }
      return 0;
    });
  });

  const verify = archive
    .command('verify')
    .description('re-read every archived file and check its size and SHA-256 against the manifest')
    .argument('[id]', 'archive id (default: every complete archive)')
    .option('--archive <location>', `archive location (default: <library>/${DEFAULT_ARCHIVE_DIR})`)
    .option('--concurrency <n>', 'files checked at once', '4');
  common(verify).action(
    async (id: string | undefined, flags: CommonFlags & { archive?: string; concurrency: string }) => {
      await runCommand(flags, async (mode) => {
        const target = await resolveTarget(flags);
        const library = await openTargetStore(target);
        const store = await openStore(archiveLocation(target, flags.archive));
        const ids =
          id !== undefined ? [id] : (await listArchives(store)).filter((a) => a.complete).map((a) => a.id);
        if (ids.length === 0) throw badInput(`no complete archive at ${store.display}`, store.display);
        const reports: ArchiveVerifyReport[] = [];
        for (const one of ids) {
          reports.push(
            await verifyArchive(store, one, {
              library,
              concurrency: parsePositiveInt(flags.concurrency, '--concurrency'),
            }),
          );
        }
        const ok = reports.every((r) => r.ok);
        if (mode.json) {
          printJson({ ok, location: store.display, archives: reports });
          return ok ? EXIT.OK : EXIT.FAILED;
        }
        for (const r of reports) {
          for (const p of r.problems) {
            process.stdout.write(
              `${p.problem === 'extra' ? 'warning' : 'ERROR  '} ${r.id}/${p.key}: ${p.message}\n`,
            );
          }
          const summary = `archive ${r.id} (library version ${r.library?.version ?? '?'}): ${r.checked}/${r.files} files checked, ${formatBytes(r.bytes)}`;
          const audit =
            r.auditMatch === true
              ? ', manifest matches the audit log'
              : r.auditMatch === false
                ? ', manifest differs from the audit log'
                : '';
          process.stdout.write(r.ok ? `OK ${summary}${audit}\n` : `FAILED ${summary}${audit}\n`);
        }
        return ok ? EXIT.OK : EXIT.FAILED;
      });
    },
  );

  const restore = archive
    .command('restore')
    .description(
      'publish an archived version into the library as a new version, or copy it as it was into a new location (--to)',
    )
    .argument('<id>', 'archive id (claas archive list)')
    .option('--archive <location>', `archive location (default: <library>/${DEFAULT_ARCHIVE_DIR})`)
    .option(
      '--to <location>',
      'an empty location: receives the archived library as it was (same ids and versions)',
    )
    .option('--force', 'publish the archive into a library with another id')
    .option('--dry-run', 'show what would be published; write nothing (restore into the library only)')
    .option('--gc-grace <duration>', 'keep superseded files this long for subscribers mid-sync', '24h')
    .option('--no-gc', 'do not delete superseded files after the commit')
    .option('--create-bucket', 'create the bucket of --to when it does not exist')
    .option('--sse <mode>', 'server-side encryption of what is written: AES256 or aws:kms')
    .option('--kms-key-id <id>', 'KMS key for --sse aws:kms');
  common(restore).action(
    async (
      id: string,
      flags: CommonFlags & {
        archive?: string;
        to?: string;
        force?: boolean;
        dryRun?: boolean;
        gcGrace?: string;
        gc: boolean;
        createBucket?: boolean;
      },
    ) => {
      await runCommand(flags, async (mode) => {
        const target = await resolveTarget(flags);
        const archiveStore = await openStore(archiveLocation(target, flags.archive));
        if (flags.to !== undefined) {
          if (flags.dryRun)
            throw badInput('--dry-run applies to a restore into the library, not --to', '--dry-run');
          const loc = otherLocation(flags.to, target.location);
          const dest: ObjectStore = await openStore(loc, {
            write: target.write,
            ...(flags.createBucket ? { createBucket: true } : {}),
          });
          const actor = await resolveActor(dest);
          const r = await restoreToLocation({
            archive: archiveStore,
            id,
            target: dest,
            actor,
            write: target.write,
          });
          if (mode.json) printJson({ ok: true, mode: 'new-location', ...r });
          else {
            say(
              mode,
              `restored library "${r.library.name}" version ${r.library.version} from archive ${id} into ${displayLocation(loc)}: ${r.files} files, ${formatBytes(r.bytes)}`,
            );
          }
          return 0;
        }
        const library = await openTargetStore(target);
        const actor = await resolveActor(library);
        const r = await restoreAsNewVersion({
          archive: archiveStore,
          id,
          library,
          actor,
          write: target.write,
          force: flags.force ?? false,
          dryRun: flags.dryRun ?? false,
          gcGraceMs:
            flags.gcGrace === undefined ? DEFAULT_GC_GRACE_MS : parseDuration(flags.gcGrace, '--gc-grace'),
          noGc: !flags.gc,
        });
        const p = r.result.publish;
        if (mode.json) {
          printJson({ ok: true, mode: 'new-version', id, restoredVersion: r.restoredVersion, ...r.result });
          return 0;
        }
        for (const c of p.changes.filter((x) => x.kind !== 'unchanged')) {
          say(
            mode,
            `  ${c.kind.padEnd(8)} ${c.name}${c.toVersion === undefined ? '' : ` -> v${c.toVersion}`}`,
          );
        }
        say(
          mode,
          p.dryRun
            ? `would publish library version ${r.restoredVersion} from archive ${id} as library version ${p.library.version}; nothing was written`
            : p.committed
              ? `published the content of library version ${r.restoredVersion} (archive ${id}) as library version ${p.library.version} of ${p.location}` +
                (r.result.copied.length > 0
                  ? ` (${r.result.copied.length} files copied back from the archive)`
                  : '')
              : `the library already has the content of archive ${id}: nothing to publish`,
        );
        return 0;
      });
    },
  );

  const retain = archive
    .command('retain')
    .description(
      'keep library versions retrievable in the library (gc never deletes their bytes); without arguments: show retention',
    )
    .argument('[versions...]', 'library versions to keep')
    .option('--reason <text>', 'why (recorded with the marker and in the audit log)')
    .option('--keep-last <n>', 'rule: keep the newest n library versions')
    .option('--keep-all', 'rule: keep every version')
    .option('--no-rule', 'remove the keep-last / keep-all rule');
  common(retain).action(
    async (
      versions: string[],
      flags: CommonFlags & { reason?: string; keepLast?: string; keepAll?: boolean; rule: boolean },
    ) => {
      await runCommand(flags, async (mode) => {
        const target = await resolveTarget(flags);
        const store = await openTargetStore(target);
        const wanted = parseVersions(versions);
        const changesRule = flags.keepLast !== undefined || flags.keepAll === true || !flags.rule;
        if (wanted.length > 0 || changesRule) {
          const actor = await resolveActor(store);
          if (wanted.length > 0) {
            await retainVersions(store, wanted, {
              actor,
              ...(flags.reason === undefined ? {} : { reason: flags.reason }),
            });
          }
          if (changesRule) {
            await setRetentionPolicy(store, {
              actor,
              ...(flags.keepLast === undefined
                ? {}
                : { keepLast: parsePositiveInt(flags.keepLast, '--keep-last') }),
              ...(flags.keepAll === true ? { keepAll: true } : {}),
            });
          }
          await appendAudit(store, {
            action: 'retain',
            actor,
            summary: `retention: keep ${wanted.length > 0 ? `versions ${wanted.join(', ')}` : 'rule changed'}`,
            details: {
              retained: wanted,
              ...(flags.reason === undefined ? {} : { reason: flags.reason }),
              ...(changesRule
                ? { rule: { keepLast: flags.keepLast ?? null, keepAll: flags.keepAll ?? false } }
                : {}),
            },
          });
        }
        const r = await readRetention(store);
        if (mode.json) printJson({ ok: true, location: target.display, ...r });
        else {
          say(mode, `versions kept in ${target.display}: ${r.versions.join(', ') || 'none'}`);
          for (const m of r.markers)
            say(
              mode,
              `  version ${m.version}  since ${m.at} by ${m.actor.name}${m.reason ? `: ${m.reason}` : ''}`,
            );
          if (r.policy !== undefined) {
            say(
              mode,
              `  rule: ${r.policy.keepAll ? 'keep every version' : `keep the newest ${r.policy.keepLast} versions`} (set ${r.policy.at} by ${r.policy.actor.name})`,
            );
          }
        }
        return 0;
      });
    },
  );

  const release = archive
    .command('release')
    .description('remove retention markers: the versions go at a later gc once outside the grace period')
    .argument('<versions...>', 'library versions');
  common(release).action(async (versions: string[], flags: CommonFlags) => {
    await runCommand(flags, async (mode) => {
      const target = await resolveTarget(flags);
      const store = await openTargetStore(target);
      const list = parseVersions(versions);
      await releaseVersions(store, list);
      const actor = await resolveActor(store);
      await appendAudit(store, {
        action: 'retain',
        actor,
        summary: `retention released for versions ${list.join(', ')}`,
        details: { released: list },
      });
      const r = await readRetention(store);
      if (mode.json) printJson({ ok: true, location: target.display, released: list, ...r });
      else {
        say(
          mode,
          `released versions ${list.join(', ')}; versions still kept: ${r.versions.join(', ') || 'none'}`,
        );
        if (r.policy !== undefined)
          note(mode, 'note: the retention rule still applies (claas archive retain --no-rule removes it)');
      }
      return 0;
    });
  });
}
