/**
 * Duplicate keys of a YAML document, found in one pass with a set per mapping. The yaml library's own `uniqueKeys`
 * check compares each new key with every earlier one: quadratic, so a mapping of 60,000 keys took minutes.
 */
import { isMap, isScalar, type LineCounter, type parseDocument, visit } from 'yaml';

/** One message per repeated key, as the yaml library words it: `Map keys must be unique at line 2, column 1`. */
export function duplicateKeyMessages(document: ReturnType<typeof parseDocument>, lines: LineCounter): string[] {
  const messages: string[] = [];
  visit(document, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const { line, col } = lines.linePos(pair.key.range?.[0] ?? 0);
        messages.push(`Map keys must be unique at line ${line}, column ${col}`);
      }
    },
  });
  return messages;
}
