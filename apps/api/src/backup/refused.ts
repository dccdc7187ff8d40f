/** A backup that cannot be restored, or a restore that must not run, with the reason an operator can act on. */
export class BackupRefused extends Error {
  override name = "BackupRefused";
}
