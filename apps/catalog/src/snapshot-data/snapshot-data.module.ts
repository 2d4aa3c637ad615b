import { Module } from '@nestjs/common';
import { RegionsModule } from '../regions/regions.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { ChangesController } from './changes/changes.controller';
import { StoreChanges } from './changes/store-changes';
import { ChunkBodies } from './chunked/chunk-body';
import { ChunkedUploadController } from './chunked/chunked-upload.controller';
import { DeclareManifest } from './chunked/declare-manifest';
import { PutChunk } from './chunked/put-chunk';
import { UploadPlans } from './chunked/upload-plans';
import { DownloadFailures } from './download-failures';
import { SnapshotData } from './snapshot-data';
import { SnapshotDataController } from './snapshot-data.controller';
import { UploadLeases } from './upload-leases';
import { uploadMemoryProvider } from './upload-memory';

/**
 * A snapshot's bytes, under `/v1/snapshots/{id}/data`: the whole-body upload and the download
 * (with DownloadFailures for those cut off), the chunked upload (a declared manifest, its
 * UploadPlans, then chunk by chunk), the change stream onto a base, and what every upload
 * shares: one UploadLease per snapshot across catalogs and the process's UploadMemory for the
 * bodies in flight. The bytes go to the region's store through the regions' RegionStores.
 */
@Module({
  imports: [TransactionsModule, SnapshotsModule, RegionsModule],
  controllers: [SnapshotDataController, ChunkedUploadController, ChangesController],
  providers: [
    SnapshotData,
    DownloadFailures,
    UploadLeases,
    UploadPlans,
    DeclareManifest,
    PutChunk,
    ChunkBodies,
    StoreChanges,
    uploadMemoryProvider,
  ],
})
export class SnapshotDataModule {}
