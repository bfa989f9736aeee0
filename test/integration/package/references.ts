/**
 * What CloudFormation checks before it creates anything: every name an intrinsic function points at must
 * exist. `Fn::Sub` reads each `${Name}` as a parameter, a resource (its Ref) or a pseudo parameter, and
 * `${Name.Attr}` as a resource's attribute; its [string, map] form adds the map's keys; `${!Literal}` is
 * text. A name that is none of these stops `sls deploy` with "Unresolved resource dependencies".
 */

export type CfnTemplate = { Resources: Record<string, unknown>; Parameters?: Record<string, unknown> };

/** CloudFormation's pseudo parameters, from its documentation ("Pseudo parameters reference"). */
export const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
];

/** The `${…}` placeholders of an Fn::Sub string, literals (`${!…}`) left out. @example placeholders('a${B}${!C}') // ['B'] */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => (m[1] ?? '').trim()).filter((name) => !name.startsWith('!'));
}

/**
 * Every reference in the template that names nothing, as `<where>: <function> <name> …`, empty when all
 * resolve: the `${}` of every Fn::Sub (string form and [string, map] form), every Ref, every Fn::GetAtt
 * (array and "Resource.Attr" form) and every DependsOn, anywhere in Resources and Outputs.
 * @example unresolvedReferences({ Resources: { A: { Type: 'T', Properties: { X: { 'Fn::Sub': '${function}' } } } } })
 * // ['Resources.A.Properties.X: Fn::Sub ${function} names no resource, parameter, pseudo parameter or variable of the Sub']
 */
export function unresolvedReferences(template: CfnTemplate): string[] {
  const resources = new Set(Object.keys(template.Resources));
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const pseudo = new Set(PSEUDO_PARAMETERS);
  const problems: string[] = [];

  const resolvesAsRef = (name: string) => resources.has(name) || parameters.has(name) || pseudo.has(name);
  const checkSub = (where: string, text: unknown, variables: Set<string>) => {
    if (typeof text !== 'string') {
      problems.push(`${where}: Fn::Sub has no template string`);
      return;
    }
    for (const name of placeholders(text)) {
      if (variables.has(name)) continue;
      const [head = '', attribute] = name.split(/\.(.*)/s);
      const ok = attribute === undefined ? resolvesAsRef(name) : resources.has(head) && attribute.length > 0;
      if (!ok) problems.push(`${where}: Fn::Sub \${${name}} names no resource, parameter, pseudo parameter or variable of the Sub`);
    }
  };

  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${where}[${i}]`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      const at = `${where}.${key}`;
      if (key === 'Fn::Sub') {
        if (Array.isArray(value)) {
          const [text, map = {}] = value as [unknown, Record<string, unknown>?];
          checkSub(where, text, new Set(Object.keys(map ?? {})));
          walk(map, `${at}[1]`);
        } else {
          checkSub(where, value, new Set());
        }
        continue;
      }
      if (key === 'Ref' && typeof value === 'string' && !resolvesAsRef(value)) {
        problems.push(`${where}: Ref ${value} names no resource, parameter or pseudo parameter`);
      }
      if (key === 'Fn::GetAtt') {
        const target = Array.isArray(value) ? value[0] : typeof value === 'string' ? value.split('.')[0] : undefined;
        if (typeof target !== 'string' || !resources.has(target)) problems.push(`${where}: Fn::GetAtt ${JSON.stringify(value)} names no resource`);
      }
      if (key === 'DependsOn' && where.split('.').length === 2) {
        for (const dependency of ([] as unknown[]).concat(value)) {
          if (typeof dependency !== 'string' || !resources.has(dependency)) problems.push(`${where}: DependsOn ${String(dependency)} names no resource`);
        }
      }
      walk(value, at);
    }
  };

  walk(template.Resources, 'Resources');
  walk((template as { Outputs?: unknown }).Outputs, 'Outputs');
  return problems;
}
