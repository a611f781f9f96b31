/**
 * The API report: every export of every entry point of the package (the
 * `exports` of package.json, read from their source files under src/), with
 * its kind and a compact signature, written to api/jobkit.api.md. The file is
 * committed, and test/unit/api/api-report.test.ts fails when it differs from
 * what the sources give, so that every change of the public surface shows in
 * review as a change of that file.
 *
 *   node scripts/api-report.ts           check: exit 1 naming the difference
 *   node scripts/api-report.ts --write   rewrite api/jobkit.api.md (`npm run api:update`)
 *
 * Built on the TypeScript compiler API: the checker resolves each export to
 * its declaration, a printer without comments renders declared types.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the report is committed, relative to the repository root. */
export const API_REPORT_FILE = 'api/jobkit.api.md';

/** One entry point of the package. */
export interface EntryPoint {
  /** The import specifier: `jobkit`, `jobkit/store`. */
  readonly specifier: string;
  /** Its source file, relative to the repository root: `src/store/index.ts`. */
  readonly source: string;
}

/** One export of an entry point. */
export interface ExportEntry {
  readonly name: string;
  /** `function`, `class`, `const`, `interface`, `type`; `(type-only)` for a value exported with `export type`. */
  readonly kind: string;
  /** The signature, one or more lines (members of classes and interfaces indented). */
  readonly lines: readonly string[];
}

interface PackageJson {
  readonly name: string;
  readonly exports: Readonly<Record<string, string | { readonly types?: string; readonly default?: string }>>;
}

/**
 * The entry points in package.json's `exports`, mapped from their `.d.ts` in
 * dist/ to the source file the build compiles it from.
 *
 * @example
 * ```ts
 * entryPoints()[0]; // { specifier: 'jobkit', source: 'src/index.ts' }
 * ```
 */
export function entryPoints(root: string = ROOT): EntryPoint[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const entries: EntryPoint[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const types = target.types;
    const match = types === undefined ? null : /^\.\/dist\/(.+)\.d\.ts$/.exec(types);
    if (match === null) throw new Error(`package.json exports ${JSON.stringify(subpath)}: no ./dist/*.d.ts types to map to src/`);
    entries.push({ specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`, source: `src/${match[1]}.ts` });
  }
  return entries;
}

function compilerOptions(root: string): ts.CompilerOptions {
  const file = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(file, (path) => ts.sys.readFile(path));
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  return { ...ts.parseJsonConfigFileContent(config.config, ts.sys, root).options, noEmit: true };
}

const printer = ts.createPrinter({ removeComments: true, omitTrailingSemicolon: true });
const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

/** One line of source-like text: comments removed, whitespace collapsed. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').replace(/;\s*}/g, ' }').trim();
}

function print(node: ts.Node, sf: ts.SourceFile): string {
  return oneLine(printer.printNode(ts.EmitHint.Unspecified, node, sf));
}

function typeParameters(node: { readonly typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }, sf: ts.SourceFile): string {
  return node.typeParameters === undefined ? '' : `<${node.typeParameters.map((p) => print(p, sf)).join(', ')}>`;
}

function heritage(node: ts.ClassDeclaration | ts.InterfaceDeclaration, sf: ts.SourceFile): string {
  return (node.heritageClauses ?? []).map((h) => ` ${print(h, sf)}`).join('');
}

function isPublicMember(member: ts.ClassElement): boolean {
  if (member.name !== undefined && ts.isPrivateIdentifier(member.name)) return false;
  const flags = ts.getCombinedModifierFlags(member);
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
}

function modifiers(member: ts.ClassElement): string {
  const flags = ts.getCombinedModifierFlags(member);
  return `${flags & ts.ModifierFlags.Static ? 'static ' : ''}${flags & ts.ModifierFlags.Abstract ? 'abstract ' : ''}${flags & ts.ModifierFlags.Readonly ? 'readonly ' : ''}`;
}

function classMembers(node: ts.ClassDeclaration, sf: ts.SourceFile, checker: ts.TypeChecker): string[] {
  const lines: string[] = [];
  for (const member of node.members) {
    if (!isPublicMember(member) || ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member)) continue;
    const name = member.name === undefined ? '' : print(member.name, sf);
    if (ts.isConstructorDeclaration(member) || ts.isMethodDeclaration(member)) {
      // With overloads, the overload signatures are the surface, not the implementation's.
      const key = (m: ts.ClassElement): string => m.name?.getText(sf) ?? 'constructor';
      const overloaded = node.members.some((m) => m !== member && (ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m)) && m.body === undefined && key(m) === key(member));
      if (member.body !== undefined && overloaded) continue;
      const signature = checker.getSignatureFromDeclaration(member);
      let text = signature === undefined ? '()' : checker.signatureToString(signature, member, FLAGS);
      // A constructor's "return type" is the class itself: left out, as in source.
      if (ts.isConstructorDeclaration(member) && signature !== undefined) text = text.slice(0, text.length - checker.typeToString(signature.getReturnType(), member, FLAGS).length - 2);
      lines.push(`${modifiers(member)}${ts.isConstructorDeclaration(member) ? 'constructor' : name}${text}`);
    } else if (ts.isPropertyDeclaration(member)) {
      const type = member.type === undefined ? checker.typeToString(checker.getTypeAtLocation(member), member, FLAGS) : print(member.type, sf);
      lines.push(`${modifiers(member)}${name}${member.questionToken === undefined ? '' : '?'}: ${type}`);
    } else if (ts.isGetAccessorDeclaration(member)) {
      const type = member.type === undefined ? checker.typeToString(checker.getTypeAtLocation(member), member, FLAGS) : print(member.type, sf);
      lines.push(`${modifiers(member)}get ${name}: ${type}`);
    } else if (ts.isSetAccessorDeclaration(member)) {
      lines.push(`${modifiers(member)}set ${name}${typeParameters(member, sf)}(${member.parameters.map((p) => print(p, sf)).join(', ')})`);
    } else if (ts.isIndexSignatureDeclaration(member)) {
      lines.push(print(member, sf));
    }
  }
  return lines;
}

/** The report lines of one declaration of an export. */
function describe(name: string, decl: ts.Declaration, checker: ts.TypeChecker): { kind: string; lines: string[] } | undefined {
  const sf = decl.getSourceFile();
  if (ts.isFunctionDeclaration(decl)) {
    const signature = checker.getSignatureFromDeclaration(decl);
    return { kind: 'function', lines: [`function ${name}${signature === undefined ? '()' : checker.signatureToString(signature, decl, FLAGS)}`] };
  }
  if (ts.isClassDeclaration(decl)) {
    const abstract = (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Abstract) !== 0 ? 'abstract ' : '';
    return { kind: 'class', lines: [`${abstract}class ${name}${typeParameters(decl, sf)}${heritage(decl, sf)}`, ...classMembers(decl, sf, checker).map((l) => `  ${l}`)] };
  }
  if (ts.isInterfaceDeclaration(decl)) {
    return {
      kind: 'interface',
      lines: [`interface ${name}${typeParameters(decl, sf)}${heritage(decl, sf)}`, ...decl.members.map((m) => `  ${print(m, sf)}`)],
    };
  }
  if (ts.isTypeAliasDeclaration(decl)) {
    return { kind: 'type', lines: [`type ${name}${typeParameters(decl, sf)} = ${print(decl.type, sf)}`] };
  }
  if (ts.isVariableDeclaration(decl)) {
    const keyword = (decl.parent.flags & ts.NodeFlags.Const) !== 0 ? 'const' : 'let';
    const type = decl.type === undefined ? checker.typeToString(checker.getTypeAtLocation(decl), decl, FLAGS) : print(decl.type, sf);
    return { kind: keyword, lines: [`${keyword} ${name}: ${type}`] };
  }
  return undefined;
}

/** Whether the export `symbol` of the entry was written `export type` / `export { type X }`. */
function isTypeOnlyExport(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).some(
    (d) => (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) || (ts.isExportDeclaration(d) && d.isTypeOnly),
  );
}

/** The package a declaration outside the repository comes from (`pino`), or undefined for jobkit's own. */
function externalPackage(decl: ts.Declaration, root: string): string | undefined {
  const file = relative(root, decl.getSourceFile().fileName);
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
}

/**
 * Every export of `entry`, sorted by name.
 *
 * @example
 * ```ts
 * exportsOf(program, { specifier: 'jobkit', source: 'src/index.ts' }).map((e) => e.name); // ['ConfigurationError', ...]
 * ```
 */
export function exportsOf(program: ts.Program, entry: EntryPoint, root: string = ROOT): ExportEntry[] {
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(join(root, entry.source));
  if (sf === undefined) throw new Error(`${entry.specifier}: ${entry.source} does not exist`);
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  if (moduleSymbol === undefined) throw new Error(`${entry.specifier}: ${entry.source} exports nothing`);
  const entries: ExportEntry[] = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const name = symbol.name;
    const typeOnly = isTypeOnlyExport(symbol) && (target.flags & ts.SymbolFlags.Value) !== 0;
    const lines: string[] = [];
    const kinds: string[] = [];
    for (const decl of target.declarations ?? []) {
      const from = externalPackage(decl, root);
      if (from !== undefined) {
        kinds.push('type');
        lines.push(`type ${name} (re-exported from ${from})`);
        break;
      }
      const described = describe(name, decl, checker);
      if (described === undefined) continue;
      // Overloads: one line per signature, the implementation's own left out.
      if (ts.isFunctionDeclaration(decl) && decl.body !== undefined && (target.declarations ?? []).some((d) => d !== decl && ts.isFunctionDeclaration(d))) continue;
      kinds.push(described.kind);
      // The checker's strings too in the printer's one-line form (indentation kept).
      lines.push(...described.lines.map((l) => `${/^ */.exec(l)?.[0] ?? ''}${oneLine(l)}`));
    }
    if (lines.length === 0) throw new Error(`${entry.specifier}: cannot describe export ${name}`);
    const kind = [...new Set(kinds)].join(' + ');
    entries.push({ name, kind: typeOnly ? `${kind} (type-only)` : kind, lines: typeOnly ? lines.map((l, i) => (i === 0 ? `type-only ${l}` : l)) : lines });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The report's Markdown: per entry point, the count of exports and a code
 * block of their signatures.
 *
 * @example
 * ```ts
 * writeFileSync('api/jobkit.api.md', renderApiReport());
 * ```
 */
export function renderApiReport(root: string = ROOT): string {
  const entries = entryPoints(root);
  const program = ts.createProgram(
    entries.map((e) => join(root, e.source)),
    compilerOptions(root),
  );
  const out = [
    '# jobkit API report',
    '',
    '<!-- Generated by scripts/api-report.ts from the entry points in package.json. Do not edit: run `npm run api:update`. -->',
    '',
    'Every export of every entry point, sorted by name. A test fails when this file',
    'differs from the sources, so a change of the public surface shows here in review.',
    '',
    '| entry point | source | exports | values | types |',
    '|---|---|---|---|---|',
  ];
  const sections: string[] = [];
  for (const entry of entries) {
    const exported = exportsOf(program, entry, root);
    const values = exported.filter((e) => !/^(interface|type)\b|\(type-only\)/.test(e.kind)).length;
    out.push(`| \`${entry.specifier}\` | ${entry.source} | ${exported.length} | ${values} | ${exported.length - values} |`);
    sections.push(`## \`${entry.specifier}\``, '', `${entry.source}: ${exported.length} exports.`, '', '```ts', ...exported.flatMap((e) => e.lines), '```', '');
  }
  return `${[...out, '', ...sections].join('\n').trimEnd()}\n`;
}

/** Each line of a report with where it is: `jobkit/store › interface ObjectStore › readonly url: string`. */
function qualifiedLines(report: string): string[] {
  let section = '';
  let header = '';
  return report.split('\n').map((line) => {
    const heading = /^## `(.+)`$/.exec(line);
    if (heading !== null) {
      section = heading[1] ?? '';
      return line;
    }
    if (section === '' || line === '' || line.startsWith('```')) return line;
    if (!line.startsWith(' ')) {
      header = line;
      return `${section} › ${line}`;
    }
    return `${section} › ${header} › ${line.trim()}`;
  });
}

/**
 * The lines only in `committed` (-) and only in `current` (+), at most
 * `limit` of each, each with its entry point and export, for a short message
 * about how two reports differ.
 *
 * @example
 * ```ts
 * reportDifference('a\nb\n', 'a\nc\n'); // ['- b', '+ c']
 * ```
 */
export function reportDifference(committed: string, current: string, limit = 20): string[] {
  const before = qualifiedLines(committed);
  const after = qualifiedLines(current);
  const removed = before.filter((l) => !after.includes(l)).slice(0, limit).map((l) => `- ${l}`);
  const added = after.filter((l) => !before.includes(l)).slice(0, limit).map((l) => `+ ${l}`);
  return [...removed, ...added];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = join(ROOT, API_REPORT_FILE);
  const current = renderApiReport();
  if (process.argv.includes('--write')) {
    writeFileSync(file, current);
    console.log(`wrote ${API_REPORT_FILE}`);
  } else {
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      // missing: differs
    }
    if (committed !== current) {
      console.error(`${API_REPORT_FILE} is out of date; run npm run api:update and commit it:\n${reportDifference(committed, current).join('\n')}`);
      process.exit(1);
    }
    console.log(`${API_REPORT_FILE} is up to date`);
  }
}
