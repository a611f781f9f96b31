/**
 * Kubernetes `$(VAR)` expansion for container command, args and env values
 * (third_party/forked/golang/expansion): `$(NAME)` becomes the variable's value
 * when it is defined and stays as written otherwise; `$$` is an escaped `$`.
 */

/**
 * Expands `$(VAR)` references in one string.
 *
 * @example
 * ```ts
 * expandVariables('echo $(A) $$(A) $(B)', (n) => (n === 'A' ? '1' : undefined)); // "echo 1 $(A) $(B)"
 * ```
 */
export function expandVariables(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        // Unterminated reference: "$(" is kept as written and scanning goes
        // on after it, so a later "$$" is still unescaped (as upstream).
        out += '$(';
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}
