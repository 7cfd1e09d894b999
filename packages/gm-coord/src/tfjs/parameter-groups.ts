import { ParameterGroupError } from '../errors/parameter-group-error.js';

/**
 * Modality → the name prefix(es) of its encoder's parameters, e.g. `{ text: 'text.', vision: ['vision.', 'patch.'] }`.
 * A parameter belongs to a modality when its name starts with one of the prefixes; names that match no group (the
 * fusion head, say) are left alone.
 */
export type ParameterGroups = Readonly<Record<string, string | readonly string[]>>;

/**
 * Maps each gradient name to its modality. Throws `ParameterGroupError` when a group selects nothing, a name falls in
 * two groups, or one of `required` has no group.
 */
export function assignGroups(names: readonly string[], groups: ParameterGroups, required: readonly string[] = []): Map<string, string> {
  const prefixes = new Map(Object.entries(groups).map(([modality, value]) => [modality, typeof value === 'string' ? [value] : [...value]]));
  for (const modality of required) {
    if (!prefixes.has(modality)) {
      const given = [...prefixes.keys()].join(', ') || 'none';
      throw new ParameterGroupError(modality, [], `there are coefficients for it but no group; add it to 'groups' (groups given: ${given}).`);
    }
  }
  const assignment = new Map<string, string>();
  const matched = new Map<string, number>();
  for (const name of names) {
    for (const [modality, list] of prefixes) {
      if (!list.some((prefix) => name.startsWith(prefix))) continue;
      const earlier = assignment.get(name);
      if (earlier !== undefined) {
        throw new ParameterGroupError(modality, list, `'${name}' also matches group '${earlier}'; make the prefixes disjoint (end them with '.').`);
      }
      assignment.set(name, modality);
      matched.set(modality, (matched.get(modality) ?? 0) + 1);
    }
  }
  for (const [modality, list] of prefixes) {
    if (list.length === 0 || list.some((prefix) => prefix === '')) {
      throw new ParameterGroupError(modality, list, 'needs at least one non-empty prefix.');
    }
    if (!matched.has(modality)) {
      const sample = names
        .slice(0, 6)
        .map((n) => `'${n}'`)
        .join(', ');
      throw new ParameterGroupError(modality, list, `selects no gradient. Gradient names start like: ${sample}${names.length > 6 ? ', …' : ''}.`);
    }
  }
  return assignment;
}
