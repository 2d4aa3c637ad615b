import { SetMetadata } from '@nestjs/common';

/** Metadata of a route that answers without an API key (health, metrics, the cloud API). */
export const PUBLIC_ROUTE = 'snapferry:public';
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
