// The code under test: move every deployment group ("ring") to a new client version, through the official
// Cloudflare SDK. Nothing here knows about Ringmaster: pointed at api.cloudflare.com, it does the same.

/**
 * Sets `version` on every group of the account — on each entry of `environment` only, if given — and
 * resolves to the updated groups. Groups already on the version are left alone.
 */
export async function rotateRingVersions(client, accountId, version, { environment } = {}) {
  const rings = client.zeroTrust.devices.deploymentGroups;
  const updated = [];
  for await (const group of rings.list({ account_id: accountId, per_page: 50 })) {
    const versionConfig = group.version_config.map((entry) =>
      environment === undefined || entry.target_environment === environment ? { ...entry, version } : entry,
    );
    if (JSON.stringify(versionConfig) === JSON.stringify(group.version_config)) continue;
    updated.push(await rings.edit(group.id, { account_id: accountId, version_config: versionConfig }));
  }
  return updated;
}
