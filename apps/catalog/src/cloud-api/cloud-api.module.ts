import { CloudActions } from './cloud-actions';
import { CloudApi } from './cloud-api';
import { CloudApiController } from './cloud-api.controller';
import { CloudSignatures } from './cloud-signatures';

/**
 * The cloud API 3.0 edge's parts, for the catalog module to register (it reuses the catalog's
 * own services, so it lives in the same module).
 */
export const cloudApi = {
  controllers: [CloudApiController],
  providers: [CloudApi, CloudActions, CloudSignatures],
};
