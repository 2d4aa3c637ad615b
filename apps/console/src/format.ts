/** How the console writes figures, times, states and error codes for people. */
import type { SnapshotState } from './api/types';

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time as `YYYY-MM-DD HH:mm:ss`: sortable and the same in every browser language. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export const stateLabels: Record<SnapshotState, string> = {
  CREATING: 'Creating',
  NORMAL: 'Normal',
  COPYING_FROM_REMOTE: 'Copying from remote',
  CHECKING_COPIED: 'Checking copied',
  FAILED: 'Failed',
};

/** States that move show their percent: `Copying from remote 42%`. */
export function stateWithPercent(state: SnapshotState, percent: number): string {
  const label = stateLabels[state] ?? state;
  return state === 'COPYING_FROM_REMOTE' ? `${label} ${Math.floor(percent)}%` : label;
}

export const diskUsageLabels: Record<string, string> = {
  SYSTEM_DISK: 'System disk',
  DATA_DISK: 'Data disk',
};

const codeWords: Record<string, string> = {
  Success: 'Started',
  'InvalidParameterValue.Region': 'Region not allowed',
  'InvalidParameterValue.SnapshotName': 'Name not allowed',
  'InvalidParameterValue.DestinationRegions': 'Regions not valid',
  'UnsupportedOperation.FinanceZoneRestricted': 'Finance zone restriction',
  'UnsupportedOperation.GeoRestricted': 'Geographic restriction',
  'UnsupportedOperation.SnapshotCopying': 'Copy in flight',
  'UnsupportedOperation.SystemDiskSnapshot': 'System disk snapshot',
  'UnsupportedOperation.SnapshotNotNormal': 'Snapshot not ready',
  'LimitExceeded.SnapshotQuota': 'Quota used up',
  'UnauthorizedOperation.NotInBeta': 'Not enabled for this account',
  'UnauthorizedOperation.OperatorOnly': 'Operators only',
  'AuthFailure.InvalidApiKey': 'API key not accepted',
  'AuthFailure.MissingApiKey': 'API key missing',
  'ResourceNotFound.Snapshot': 'Snapshot not found',
  'ResourceNotFound.Replication': 'Replication not found',
  'FailedOperation.ConcurrentModification': 'Changed meanwhile, try again',
  NetworkError: 'Catalog unreachable',
};

/** An error code in words: `LimitExceeded.SnapshotQuota` → `Quota used up`. */
export function codeInWords(code: string): string {
  const known = codeWords[code];
  if (known) return known;
  const reason = code.split('.').pop() ?? code;
  const words = reason.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
