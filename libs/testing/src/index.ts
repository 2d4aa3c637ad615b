export * from './test-database';
export * from './test-broker';
export * from './unique-name';
export * from './wait-for';
export * from './rabbitmqctl';
export * from './private-broker';
export * from './broker-probe';
export * from './network-lab/network-lab';
export * from './network-lab/network-lab-available';
export * from './network-lab/link-throughput';
export * from './network-lab/delay-proxy';
export * from './network-lab/tcp-forwarder';
export { type ProxyTarget, type TcpProxy } from './network-lab/tcp-proxy';
export { sweepStaleLabs, labInventory } from './network-lab/stale-labs';
export { type CommandResult, CommandError } from './network-lab/run-command';
export * from './postgres-commit-cut';
export * from './free-port';
export {
  startCephRgw,
  type CephRgw,
  type CephRgwOptions,
  type S3Keys,
  type StopSignal,
} from './ceph-rgw/ceph-rgw';
export {
  startS3FaultProxy,
  type S3FaultMode,
  type S3FaultProxy,
  type S3ProxyRequest,
  type S3RequestFilter,
} from './ceph-rgw/s3-fault-proxy';
export { cephRgwAvailable, type CephRgwAvailability } from './ceph-rgw/ceph-rgw-available';
export { sweepStaleCephClusters } from './ceph-rgw/stale-ceph-clusters';
export { cephRbdAvailable, createRbdPool, rbdCommand } from './ceph-rgw/ceph-rbd';
export { rbdDiffV1 } from './ceph-rgw/rbd-diff-v1';
export * from './change-stream';
export * from './slow-put';
export * from './replication-requested';
