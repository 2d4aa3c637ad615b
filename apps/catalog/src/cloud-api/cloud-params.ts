import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { CloudError } from './cloud-errors';

/**
 * An action's parameters as the cloud sends them: a JSON object in a POST body, or flattened
 * into a GET's query string (`SnapshotIds.0=…&Filters.0.Values.0=…`, every value a string).
 */
export type RawParams = Record<string, unknown>;

const segment = /^(?:[A-Za-z][A-Za-z0-9_]{0,63}|\d{1,3})$/;

/** Rebuilds the nested parameters of a GET from its flattened query string. */
export function paramsFromQuery(query: string): RawParams {
  const root: RawParams = {};
  for (const [key, value] of new URLSearchParams(query)) {
    const path = key.split('.');
    if (!path.every((p) => segment.test(p)) || /^\d/.test(path[0]!))
      throw new CloudError(
        'InvalidParameter',
        `the query parameter ${key.slice(0, 80)} is malformed`,
      );
    let node: Record<string, unknown> = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) {
        if (Object.hasOwn(node, part))
          throw new CloudError('InvalidParameter', `${key} is given twice`);
        node[part] = value;
        return;
      }
      const child = Object.hasOwn(node, part) ? node[part] : /^\d/.test(path[i + 1]!) ? [] : {};
      if (typeof child !== 'object' || child === null)
        throw new CloudError('InvalidParameter', `${key} conflicts with another parameter`);
      node[part] = child;
      node = child as Record<string, unknown>;
    });
  }
  assertDense(root, '');
  return root;
}

function assertDense(value: unknown, at: string): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value) && Object.keys(value).length !== value.length)
    throw new CloudError('InvalidParameter', `${at} must be numbered from 0 without gaps`);
  for (const [key, item] of Object.entries(value)) assertDense(item, at ? `${at}.${key}` : key);
}

export interface Filter {
  Name: string;
  Values: string[];
}

type Kind = 'string' | 'integer' | 'boolean' | 'strings' | 'filters' | 'any';
type TypeOf<K extends Kind> = K extends 'string'
  ? string
  : K extends 'integer'
    ? number
    : K extends 'boolean'
      ? boolean
      : K extends 'strings'
        ? string[]
        : K extends 'filters'
          ? Filter[]
          : unknown;
export type Params<S extends Record<string, Kind>> = { [P in keyof S]?: TypeOf<S[P]> };

const wrongType = (name: string, expected: string) =>
  new CloudError('InvalidParameter', `${name} must be ${expected}`);

/** Reads a JSON value (or, from a GET, a string) as the kind an action's parameter has. */
function read(value: unknown, kind: Kind, name: string, fromQuery: boolean): unknown {
  switch (kind) {
    case 'any':
      return value;
    case 'string':
      if (typeof value !== 'string') throw wrongType(name, 'a string');
      return value;
    case 'integer': {
      const n =
        fromQuery && typeof value === 'string' && /^-?\d{1,15}$/.test(value)
          ? Number(value)
          : value;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw wrongType(name, 'an integer');
      return n;
    }
    case 'boolean': {
      const b = fromQuery && (value === 'true' || value === 'false') ? value === 'true' : value;
      if (typeof b !== 'boolean') throw wrongType(name, 'true or false');
      return b;
    }
    case 'strings':
      if (!Array.isArray(value)) throw wrongType(name, 'an array of strings');
      return value.map((item, i) => read(item, 'string', `${name}.${i}`, fromQuery));
    case 'filters':
      if (!Array.isArray(value)) throw wrongType(name, 'an array of {Name, Values}');
      return value.map((item, i) => {
        const filter = readParams(
          item,
          { Name: 'string', Values: 'strings' },
          fromQuery,
          `${name}.${i}.`,
        );
        if (filter.Name === undefined || filter.Values === undefined)
          throw new CloudError('MissingParameter', `${name}.${i} needs Name and Values`);
        return filter as Filter;
      });
  }
}

/**
 * An action's parameters, typed by its schema. A parameter the action does not have is
 * `UnknownParameter` (as the cloud answers); a value of the wrong type `InvalidParameter`;
 * `null` counts as absent.
 */
export function readParams<S extends Record<string, Kind>>(
  raw: unknown,
  schema: S,
  fromQuery: boolean,
  prefix = '',
): Params<S> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CloudError(
      'InvalidParameter',
      `${prefix || 'the request body '}must be a JSON object`,
    );
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!Object.hasOwn(schema, name))
      throw new CloudError('UnknownParameter', `the parameter ${prefix}${name} is not recognized`);
    if (value !== null) result[name] = read(value, schema[name]!, `${prefix}${name}`, fromQuery);
  }
  return result as Params<S>;
}

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined)
    throw new CloudError('MissingParameter', `the required parameter ${name} is missing`);
  return value;
}

/**
 * Checks a command with the v1 API's own request DTO (the same rules, defined once), and
 * names the cloud's parameters in what it reports.
 */
export function validated<T extends object>(
  type: new () => T,
  value: object,
  cloudNames: Record<string, string>,
  codeOf: (error: ValidationError) => string = () => 'InvalidParameterValue',
): T {
  const instance = plainToInstance(type, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  const first = errors[0];
  if (!first) return instance;
  const name = cloudNames[first.property] ?? first.property;
  const messages = Object.values(first.constraints ?? {}).map((m) =>
    m.startsWith(first.property) ? `${name}${m.slice(first.property.length)}` : `${name}: ${m}`,
  );
  throw new CloudError(codeOf(first), messages.join('; ') || `${name} is not valid`);
}
