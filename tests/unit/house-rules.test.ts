/**
 * The house's rules, checked on the source (DEVELOPERS.md "Layout"): every command handler reads
 * as a story of at most 50 lines; src/ has no import cycle (type imports included); plan/ is pure,
 * importing nothing that does I/O.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../support/cli.js";

const src = join(projectRoot, "src");
const commands = join(src, "cli", "commands");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
}

/** Every module specifier a file names: import and export … from (type-only too), import(). */
function specifiers(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.push(literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The src/ file a relative specifier names (`./x.js` is `./x.ts`); undefined for a package. */
function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  return resolve(dirname(from), specifier.replace(/\.js$/, ".ts"));
}

const files = sourceFiles(src);
const graph = new Map(
  files.map((path) => {
    const names = specifiers(parse(path));
    const local = names.flatMap((s) => resolveLocal(path, s) ?? []);
    const packages = names.filter((s) => !s.startsWith("."));
    return [path, { local, packages, names }] as const;
  }),
);
const shown = (path: string) => relative(src, path);

describe("command handlers", () => {
  const handlers = readdirSync(commands).map((name) => {
    const file = parse(join(commands, name));
    const actions: string[] = [];
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === "commandAction" &&
        node.arguments[1] &&
        ts.isIdentifier(node.arguments[1])
      ) {
        actions.push(node.arguments[1].text);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    return { name, file, actions };
  });

  it("each command module gives commander one handler (commandAction), which returns the exit code", () => {
    expect(handlers.length).toBeGreaterThanOrEqual(9);
    for (const { name, file, actions } of handlers) {
      expect(actions, name).toHaveLength(1);
      const handler = file.statements.find(
        (s): s is ts.FunctionDeclaration =>
          ts.isFunctionDeclaration(s) && s.name?.text === actions[0],
      );
      expect(handler, `${name}: ${actions[0]} is a function declared in the module`).toBeDefined();
      expect(handler!.type?.getText(file), `${name}: ${actions[0]}'s return type`).toBe(
        "Promise<number>",
      );
    }
  });

  it("every handler reads as a story of at most 50 lines (what is longer moves into core)", () => {
    const lengths = handlers.map(({ name, file, actions }) => {
      const handler = file.statements.find(
        (s) => ts.isFunctionDeclaration(s) && s.name?.text === actions[0],
      )!;
      const first = file.getLineAndCharacterOfPosition(handler.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(handler.getEnd()).line;
      return { handler: `${name}: ${actions[0]}`, lines: last - first + 1 };
    });
    expect(lengths.filter((h) => h.lines > 50)).toEqual([]);
    // The measure measures: the longest is a real story, not nothing.
    expect(Math.max(...lengths.map((h) => h.lines))).toBeGreaterThan(20);
  });
});

describe("error codes", () => {
  it("every code a ButlerError class declares is raised somewhere in src/ (no code is only a name)", () => {
    const declarations = readFileSync(join(src, "core", "errors.ts"), "utf8");
    const codes = new Set(
      [
        ...declarations.matchAll(/^\s+\| "([A-Z_]+)"$/gm),
        ...declarations.matchAll(/^ {2}"([A-Z_]+)",$/gm),
        ...declarations.matchAll(/Code = "([A-Z_]+)";/g),
      ].map((m) => m[1]!),
    );
    expect(codes.size).toBeGreaterThan(50);
    const raised = files
      .filter((path) => !path.endsWith(join("core", "errors.ts")))
      .map((path) => readFileSync(path, "utf8"))
      .join("\n");
    expect([...codes].filter((code) => !raised.includes(`"${code}"`))).toEqual([]);
  });
});

describe("imports", () => {
  it("src/ has no import cycle, type imports included", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (path: string): void => {
      state.set(path, "visiting");
      stack.push(path);
      for (const next of graph.get(path)?.local ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === "visiting") {
          cycles.push([...stack.slice(stack.indexOf(next)), next].map(shown).join(" → "));
        } else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(path, "done");
    };
    for (const path of files) if (!state.has(path)) visit(path);
    expect(cycles).toEqual([]);
    expect(graph.size).toBeGreaterThan(50);
  });

  it("every relative import names a file of src/ (the walk above sees the whole graph)", () => {
    const dangling = [...graph].flatMap(([path, { local }]) =>
      local.filter((target) => !graph.has(target)).map((target) => `${shown(path)} → ${target}`),
    );
    // JSON imports (package.json) are the only relative imports outside src/'s .ts files.
    expect(dangling.filter((d) => !d.endsWith(".json"))).toEqual([]);
  });

  /** Node's modules that do I/O, and viem's clients and transports. */
  const IO_MODULES =
    /^(node:)?(fs|fs\/promises|child_process|worker_threads|net|http|https|http2|dgram|dns|tls|readline|inspector|cluster)$/;
  const VIEM_IO =
    /\b(createPublicClient|createWalletClient|createTestClient|createClient|http|webSocket|fallback|custom|ipc)\b/;

  it("plan/ is pure: it imports only plan/, types/ and errors.ts, and nothing reached does I/O", () => {
    const plan = join(src, "core", "plan");
    const allowed = (path: string) =>
      path.startsWith(`${plan}/`) ||
      path.startsWith(`${join(src, "types")}/`) ||
      path === join(src, "core", "errors.ts");
    const reached = new Set<string>();
    const problems: string[] = [];
    const visit = (path: string): void => {
      if (reached.has(path)) return;
      reached.add(path);
      if (!allowed(path)) problems.push(`${shown(path)} (outside plan/, types/ and errors.ts)`);
      const text = readFileSync(path, "utf8");
      const file = parse(path);
      for (const specifier of graph.get(path)?.packages ?? []) {
        if (IO_MODULES.test(specifier)) problems.push(`${shown(path)} imports ${specifier}`);
        if (specifier === "viem/actions" || specifier.startsWith("viem/node"))
          problems.push(`${shown(path)} imports ${specifier}`);
      }
      for (const statement of file.statements) {
        if (!ts.isImportDeclaration(statement)) continue;
        const from = (statement.moduleSpecifier as ts.StringLiteral).text;
        if (from === "viem" && VIEM_IO.test(statement.importClause?.getText(file) ?? ""))
          problems.push(`${shown(path)} imports viem's clients or transports`);
      }
      if (/\bfetch\(|process\.(stdout|stderr|stdin)\b/.test(text))
        problems.push(`${shown(path)} writes or fetches`);
      for (const next of graph.get(path)?.local ?? []) if (graph.has(next)) visit(next);
    };
    const planFiles = files.filter((path) => path.startsWith(`${plan}/`));
    expect(planFiles.length).toBeGreaterThan(10);
    for (const path of planFiles) visit(path);
    expect(problems).toEqual([]);
  });

  it("the purity check fails on what it is for (a module that reads a file, a client)", () => {
    // The checks above, on two made-up sources: they must see what they look for.
    const withFs = ts.createSourceFile("x.ts", 'import { readFile } from "node:fs/promises";', 99);
    expect(specifiers(withFs).some((s) => IO_MODULES.test(s))).toBe(true);
    const withType = ts.createSourceFile("y.ts", 'import type { A } from "./a.js";', 99);
    expect(specifiers(withType)).toEqual(["./a.js"]);
    expect(VIEM_IO.test("{ createPublicClient, http }")).toBe(true);
    expect(VIEM_IO.test("{ getAddress, formatEther }")).toBe(false);
  });
});
