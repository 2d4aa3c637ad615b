import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultRegionCatalog } from '@snapferry/domain';

/**
 * Writes `dir`/regions.json (for SNAPFERRY_REGIONS_FILE): the built-in region catalog, with the
 * fields in `fields[regionId]` added to (or replacing those of) that region. Returns its path.
 */
export async function writeRegionsFile(
  dir: string,
  fields: Record<string, Record<string, unknown>>,
): Promise<string> {
  const regionsFile = join(dir, 'regions.json');
  await writeFile(
    regionsFile,
    JSON.stringify({
      ...defaultRegionCatalog,
      regions: defaultRegionCatalog.regions.map((r) =>
        r.id in fields ? { ...r, ...fields[r.id] } : r,
      ),
    }),
  );
  return regionsFile;
}
