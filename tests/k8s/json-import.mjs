// A module hook for workflow.test.mjs: @actions/workflow-parser is built for
// bundlers and imports its JSON schema without `with { type: 'json' }`,
// which Node refuses; this supplies the attribute for .json files.
export async function load(url, context, next) {
  if (url.endsWith('.json') && !context.importAttributes?.type)
    return next(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
  return next(url, context);
}
