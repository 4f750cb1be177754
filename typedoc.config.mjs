/**
 * TypeDoc (`npm run docs`): the API reference of both entry points, from the doc comments, into
 * docs/api/ (ignored by git).
 */
/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  entryPoints: ['src/index.ts', 'src/browser.ts'],
  tsconfig: 'tsconfig.json',
  out: 'docs/api',
  name: 'recurrent',
  readme: 'README.md',
  excludePrivate: true,
  excludeInternal: true,
  validation: { notExported: false, invalidLink: true, notDocumented: false },
  logLevel: 'Warn',
  // Source links from the package's repository field, not from the clone's git remote (a CI clone has none).
  disableGit: true,
  gitRevision: 'main',
  sourceLinkTemplate: 'https://github.com/recurrent-js/recurrent/blob/{gitRevision}/{path}#L{line}',
  // Shapes such as (numLayers*D, N, H) must print as written, not as emphasis.
  markdownItLoader(parser) {
    parser.disable('emphasis');
  },
};
export default config;
