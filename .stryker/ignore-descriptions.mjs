// A Stryker ignorer (`ignorers: ['machine-descriptions']` in stryker.config.mjs): the `description` of a state or a
// machine is documentation shown in the diagrams (npm run visualize --check pins it), not behaviour a unit test can
// observe. Mutants inside it are reported as ignored, with this reason, instead of counting as survivors.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'machine-descriptions', {
    shouldIgnore(path) {
      if (!path.isObjectProperty()) return undefined;
      const { key } = path.node;
      const name = key.type === 'Identifier' ? key.name : key.type === 'StringLiteral' ? key.value : undefined;
      return name === 'description'
        ? 'A statechart description is documentation for the diagrams (checked by npm run visualize -- --check)'
        : undefined;
    },
  }),
];
