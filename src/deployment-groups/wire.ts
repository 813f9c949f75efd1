// A deployment group as the bytes it is served as (docs/contract.md §2): what the response serializer
// makes of the DeploymentGroup schema (model.ts), made once per stored revision so that a GET and a list
// page are assembled from stored text instead of decoded and encoded again (docs/performance.md,
// "Read path"). test/read-wire.test.ts checks these bytes against the schemas' own serializer.
import type { DeploymentGroup } from './model.ts';

/**
 * The group's JSON exactly as fast-json-stringify writes it from DeploymentGroup: the schema's fields in
 * the schema's order, a version_config entry's two fields in theirs (anything else an old row may hold is
 * left out, as the serializer leaves it out), strings escaped as JSON.stringify escapes them.
 */
export function groupJson(group: DeploymentGroup): string {
  return JSON.stringify({
    id: group.id,
    name: group.name,
    version_config: group.version_config.map(({ target_environment, version }) => ({
      target_environment,
      version,
    })),
    policy_ids: group.policy_ids,
    created_at: group.created_at,
    updated_at: group.updated_at,
  });
}
