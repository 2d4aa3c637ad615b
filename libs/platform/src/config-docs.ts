import { otherVariables, serviceVariables } from './config-schema';

/** The README's configuration table rows (variable, default, meaning), from the declarations. */
export function configTableRows(): [string, string, string][] {
  return [
    ...Object.values(serviceVariables).map((v): [string, string, string] => [
      `\`${v.name}\``,
      v.defaultText,
      v.meaning,
    ]),
    ...otherVariables.map((v): [string, string, string] => [v.label, v.defaultText, v.meaning]),
  ];
}

/** The table as Markdown (unaligned: Prettier aligns it in the README). */
export function configTable(): string {
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...configTableRows().map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

export const configTableStart =
  '<!-- The configuration table is made from libs/platform/src/config-schema.ts: change it there. -->';
export const configTableEnd = '<!-- End of the configuration table. -->';
