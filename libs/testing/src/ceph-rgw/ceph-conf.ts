/** The name radosgw runs under: its section in ceph.conf, its key, its log and pid files. */
export const gatewayName = 'client.rgw.snapferry';

export interface CephConfInput {
  dir: string;
  fsid: string;
  monPort: number;
  rgwPort: number;
  /** memstore's capacity (it holds every object in RAM, up to this). */
  osdBytes: number;
}

/**
 * ceph.conf of a one-node test cluster: everything (keys, data, sockets, logs) under `dir`,
 * everything on 127.0.0.1, msgr2 only. The OSD has no fixed port: it binds the first free ones
 * of 6800–7300 (Ceph's `ms bind port` range, retried on EADDRINUSE), so clusters started at
 * the same time each get their own.
 */
export function cephConf({ dir, fsid, monPort, rgwPort, osdBytes }: CephConfInput): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = ${dir}/keyring
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
mon cluster log file = ${dir}/log/cluster.log
crash dir = ${dir}/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# a busy test machine's disk must not stop the monitor (it refuses to run below crit)
mon data avail warn = 2
mon data avail crit = 1
# every map change otherwise waits ~1 s for a paxos round: start-up is ~3x faster
paxos propose interval = 0.05
paxos min wait = 0.01

[mon]
mon data = ${dir}/mon.$id
mon initial members = a

[osd]
osd data = ${dir}/osd.$id
osd objectstore = memstore
memstore device bytes = ${osdBytes}

[${gatewayName}]
rgw data = ${dir}/rgw
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw thread pool size = 64
# deleted objects otherwise wait 2 h (in the OSD's RAM) for the garbage collector
rgw gc obj min wait = 30
rgw gc processor period = 30
# quotas checked against fresh statistics (tests fill a bucket and expect the refusal at once)
rgw bucket quota ttl = 0
rgw user quota bucket sync interval = 0
rgw user quota sync interval = 0
`;
}
