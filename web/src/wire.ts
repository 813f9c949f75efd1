// GENERATED from openapi/openapi.json by `npm run web-types` (src/web/wire-types.ts): do not edit.
// test/web-types.test.ts fails when this file and the document differ.

/** get-deployment-group → result.version_config[] */
export interface VersionConfig {
  /** The target environment for the client version (e.g., windows, macos); null means every environment without its own entry. */
  target_environment: string | null;
  /** The specific client version to deploy. */
  version: string;
}

/** get-deployment-group → result */
export interface Group {
  /** The deployment group ID (a UUID the server picks). */
  id: string;
  /** A user-friendly name for the deployment group. */
  name: string;
  version_config: VersionConfig[];
  policy_ids: string[] | null;
  created_at: string;
  updated_at: string;
}

/** create-deployment-group → body */
export interface GroupCreate {
  /** A user-friendly name for the deployment group. */
  name: string;
  version_config: VersionConfig[];
  policy_ids?: string[] | null;
}

/** update-deployment-group → body */
export interface GroupUpdate {
  /** A user-friendly name for the deployment group. */
  name?: string;
  version_config?: VersionConfig[];
  policy_ids?: string[] | null;
}

/** delete-deployment-group → result */
export interface Deleted {
  id: string;
}

/** list-deployment-groups → result_info */
export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

/** the Failure envelope → errors[] */
export interface ApiErrorItem {
  code: number;
  message: string;
  source?: {
    pointer?: string;
    parameter?: string;
    header?: string;
  };
  documentation_url?: string;
  /** On a 409: the group that owns the conflicting policy ID (docs/contract.md §5). */
  meta?: {
    deployment_group_id?: string;
  };
  error_chain?: {
    code?: number;
    message?: string;
  }[];
}

/** user-api-tokens-verify-token → result */
export interface VerifiedToken {
  id: string;
  status: 'active';
  expires_on?: string;
}

/** get-account-access → result */
export interface Access {
  /** May list and get this account’s deployment groups (always true here). */
  read: boolean;
  /** May also create, update and delete them (Zero Trust Write). */
  write: boolean;
  /** The credential is granted every account, not a list. */
  all_accounts: boolean;
}

/** deployment-group-history → result[] */
export interface HistoryEntry {
  /** The revision this change made (a delete makes one too). */
  revision: number;
  /** The audit log entry of this change. */
  audit_log_id: string;
  at: string;
  action: 'create' | 'update' | 'delete' | 'revert' | 'revoke';
  actor: {
    type: 'user' | 'system';
    /** The credential ID. */
    id: string | null;
    /** The credential name. */
    name: string | null;
    /** The legacy API key email. */
    email: string | null;
    /** The client address, as TRUST_PROXY allows. */
    ip: string | null;
    interface: 'API' | 'dashboard' | 'CLI' | 'rollout';
  };
  deployment_group: Group | null;
  changes: {
    /** A field of the deployment group. */
    field: string;
  }[];
}

/** audit-logs-v2-get-account-audit-logs → result[] */
export interface AuditLog {
  id: string;
  account?: Deleted;
  action: {
    description: string;
    result: string;
    time: string;
    type: string;
  };
  actor: {
    context?: 'api' | 'api_key' | 'api_token' | 'dash' | 'oauth' | 'origin_ca_key';
    email?: string;
    id?: string;
    ip_address?: string;
    token_id?: string;
    token_name?: string;
    type: 'account' | 'cloudflare_admin' | 'delegated_service' | 'system' | 'user';
  };
  raw: {
    cf_ray_id?: string;
    method?: string;
    status_code?: number;
    uri?: string;
    user_agent?: string;
  };
  resource: {
    id: string;
    product: string;
    response?: Record<string, unknown>;
    scope: 'accounts' | 'user' | 'zones' | 'memberships';
    type: string;
  };
}

/** audit-logs-v2-get-account-audit-logs → result_info */
export interface AuditResultInfo {
  /** Logs in this page, as a string (Cloudflare’s spec). */
  count: string;
  cursor?: string;
  cursors?: {
    after?: string;
  };
}

/** get-rollout → result */
export interface Rollout {
  /** The rollout ID (a UUID the server picks). */
  id: string;
  /** A name for the rollout. */
  name: string;
  /** Where the rollout is. */
  state: 'scheduled' | 'running' | 'paused' | 'completed' | 'aborted' | 'rolled_back' | 'failed';
  /** Why it is in its state, when not by request. */
  state_reason: string | null;
  version_config: VersionConfig[];
  start_at: string;
  stages: {
    /** The deployment group ID (a UUID the server picks). */
    deployment_group_id: string;
    /** How long after the previous stage was applied (the first stage: after start_at) this one falls due. */
    wait: string;
    /** pending: not applied yet; skipped: will never be (aborted, or its ring was deleted). */
    state: 'pending' | 'applied' | 'skipped' | 'rolled_back';
    due_at: string | null;
    applied_at: string | null;
    replaced:
      | {
          target_environment: string | null;
          version: string | null;
        }[]
      | null;
  }[];
  created_by: {
    type: 'user' | 'system';
    id: string | null;
    name: string | null;
    email: string | null;
  };
  created_at: string;
  updated_at: string;
}

/** create-rollout → body */
export interface RolloutCreate {
  /** A name for the rollout. */
  name: string;
  version_config: VersionConfig[];
  stages: {
    /** The deployment group ID (a UUID the server picks). */
    deployment_group_id: string;
    /** How long after the previous stage was applied (the first stage: after start_at) this one falls due. */
    wait?: string;
  }[];
  /** When the first stage’s wait starts (default: now); at most 365 days ahead. */
  start_at?: string;
}

/** resolve-version-targets → result[] */
export interface VersionTarget {
  policy_id: string;
  /** The environment asked about. */
  target_environment: string;
  /** The specific client version to deploy. */
  version: string;
  deployment_group: {
    /** The deployment group ID (a UUID the server picks). */
    id: string;
    /** A user-friendly name for the deployment group. */
    name: string;
  };
}

/** the document’s server */
export const API_BASE = '/client/v4';

/** the access route’s server */
export const EXTENSIONS_BASE = '/ringmaster/v1';

/** list-deployment-groups → account_id */
export const ACCOUNT_ID_PATTERN = '^[0-9a-f]{32}$';

/** create-deployment-group → body.name.maxLength (code points) */
export const MAX_NAME_LENGTH = 255;

/** create-deployment-group → body.version_config.maxItems */
export const MAX_VERSION_CONFIG_ENTRIES = 16;

/** create-deployment-group → body.policy_ids.maxItems */
export const MAX_POLICY_IDS = 1000;

/** list-deployment-groups → per_page.maximum */
export const MAX_PER_PAGE = 100;
