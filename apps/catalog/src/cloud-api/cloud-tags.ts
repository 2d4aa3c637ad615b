import type { Tag } from '@snapferry/domain';
import { CloudError } from './cloud-errors';
import { readParams } from './cloud-params';

/**
 * The cloud's `Tags` parameter (`[{Key, Value}]`, from a GET `Tags.0.Key=…&Tags.0.Value=…`)
 * as our tags. Only the shape is checked here; the tag rules are the domain's, as for the v1 API.
 */
export function tagsOfCloud(value: unknown, fromQuery: boolean): Tag[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw new CloudError('InvalidParameter', 'Tags must be an array of {Key, Value}');
  return value.map((item, i) => {
    const tag = readParams(item, { Key: 'string', Value: 'string' }, fromQuery, `Tags.${i}.`);
    if (tag.Key === undefined)
      throw new CloudError('MissingParameter', `the required parameter Tags.${i}.Key is missing`);
    return { key: tag.Key, value: tag.Value ?? '' };
  });
}
