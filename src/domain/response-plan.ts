import type { SeverityPolicy } from './policy';
import type { Asset, AssetKind } from './asset';

export const STRATEGIES = ['contain_first', 'evidence_first'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const RESPONSE_STEPS = ['containment', 'forensics', 'eradication', 'recovery'] as const;
export type ResponseStep = (typeof RESPONSE_STEPS)[number];

/**
 * The order of the response. `evidence_first` collects evidence before containing, accepting a
 * slower resolution to preserve volatile state that containment would destroy.
 */
export function responseOrder(strategy: Strategy): ResponseStep[] {
  return strategy === 'evidence_first'
    ? ['forensics', 'containment', 'eradication', 'recovery']
    : ['containment', 'forensics', 'eradication', 'recovery'];
}

export interface ContainmentActionSpec {
  action: string;
  /** Destructive actions interrupt a business function and need approval unless pre-approved. */
  destructive: boolean;
  /** What recovery does to undo it. */
  undo: string;
}

/** One containment action per kind of asset. */
export const CONTAINMENT_BY_ASSET: Record<AssetKind, ContainmentActionSpec> = {
  host: { action: 'isolate_host', destructive: true, undo: 'release_host' },
  address: { action: 'block_address', destructive: false, undo: 'unblock_address' },
  account: { action: 'disable_account', destructive: true, undo: 'enable_account' },
  service: { action: 'restrict_service', destructive: true, undo: 'restore_service' },
  container: { action: 'stop_container', destructive: true, undo: 'redeploy_container' },
  cloud_resource: { action: 'revoke_access', destructive: true, undo: 'restore_access' },
  application: { action: 'enable_maintenance_mode', destructive: true, undo: 'disable_maintenance_mode' },
};

export interface PlannedAction {
  asset: Asset;
  action: string;
  destructive: boolean;
}

/**
 * `params.approval` of a playbook's contain step that asks for the incident's containment decision
 * (`POST …/containment/approval`) before destructive actions: due at the severity's approval
 * deadline and escalating up the chain, as the built-in plans always did. A severity that
 * pre-approves skips it. Here, not beside the playbook schema, so the workflow bundle stays free of
 * the validation and YAML libraries.
 */
export const CONTAINMENT_DECISION = 'decision';

/** A plan needs a manager's approval when it would interrupt a business function and the severity has not pre-approved that. */
export function containmentNeedsApproval(plan: readonly PlannedAction[], policy: Pick<SeverityPolicy, 'preApprovedContainment'>): boolean {
  return plan.some((a) => a.destructive) && !policy.preApprovedContainment;
}

export function containmentPlan(assets: readonly Asset[]): PlannedAction[] {
  return assets.map((asset) => {
    const spec = CONTAINMENT_BY_ASSET[asset.kind];
    return { asset, action: spec.action, destructive: spec.destructive };
  });
}

/**
 * Evidence to collect per kind of asset, most volatile first (RFC 3227, "order of volatility":
 * memory before network state before processes before temporary files before disk before logs).
 */
export const EVIDENCE_BY_ASSET: Record<AssetKind, readonly string[]> = {
  host: ['memory', 'network_connections', 'process_list', 'temporary_files', 'disk_image', 'system_logs'],
  address: ['flow_records', 'firewall_logs'],
  account: ['active_sessions', 'authentication_logs', 'audit_trail'],
  service: ['process_list', 'configuration', 'service_logs'],
  container: ['memory', 'process_list', 'filesystem_snapshot', 'container_logs'],
  cloud_resource: ['active_sessions', 'configuration', 'audit_logs'],
  application: ['active_sessions', 'configuration', 'application_logs'],
};
