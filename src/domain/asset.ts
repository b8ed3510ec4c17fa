/** Kinds of affected asset an alert can name (shared by the alert schema and the response rules). */
export const ASSET_KINDS = ['host', 'address', 'account', 'service', 'container', 'cloud_resource', 'application'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

/** An affected asset, as alerts name it. */
export interface Asset {
  kind: AssetKind;
  id: string;
}

export const MAX_ASSETS_PER_INCIDENT = 100;

/** Adds assets not yet known to the incident, keeping the first `MAX_ASSETS_PER_INCIDENT`. */
export function mergeAssets(known: readonly Asset[], more: readonly Asset[]): Asset[] {
  const merged = [...known];
  for (const asset of more) {
    if (merged.length >= MAX_ASSETS_PER_INCIDENT) break;
    if (!merged.some((a) => a.kind === asset.kind && a.id === asset.id)) merged.push(asset);
  }
  return merged;
}
