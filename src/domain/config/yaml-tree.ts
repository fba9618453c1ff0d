import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node as YamlAstNode } from 'yaml';

/**
 * A YAML document reduced to what the config decoder needs: maps, sequences and scalars, each
 * carrying the 1-based line it starts on. Converting once keeps the `yaml` package's AST types
 * out of the decoders and turns every oddity (aliases, complex keys, syntax errors) into a
 * located problem instead of an exception.
 */
export type YNode = YMap | YSeq | YScalar;

export interface YEntry {
  /** Line of the key: where an editor should jump for this field. */
  readonly keyLine: number;
  readonly value: YNode;
}

export interface YMap {
  readonly type: 'map';
  readonly line: number;
  readonly entries: ReadonlyMap<string, YEntry>;
}

export interface YSeq {
  readonly type: 'seq';
  readonly line: number;
  readonly items: readonly YNode[];
}

export interface YScalar {
  readonly type: 'scalar';
  readonly line: number;
  readonly value: string | number | boolean | null;
}

/** A problem found while reading the text itself (before any kind is known). */
export interface YamlProblem {
  readonly line: number;
  readonly message: string;
}

export interface YamlDocument {
  /** Line of the document's first content; 1 for an empty document. */
  readonly line: number;
  /** null for an empty document (only comments, or a bare `---`). */
  readonly root: YNode | null;
}

// Aliases can point at their own ancestors (`&a [*a]`); no manifest nests this deep.
const maxDepth = 100;

class Converter {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly problems: YamlProblem[],
  ) {}

  lineOf(offset: number | undefined, fallback: number): number {
    return offset === undefined ? fallback : this.lines.linePos(offset).line;
  }

  convert(node: unknown, fallbackLine: number, depth: number): YNode {
    const line = this.lineOf((node as { range?: [number, number, number] } | null)?.range?.[0], fallbackLine);
    if (depth > maxDepth) {
      this.problems.push({ line, message: `YAML nests deeper than ${maxDepth} levels (a recursive alias?); flatten it` });
      return { type: 'scalar', line, value: null };
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) {
        this.problems.push({ line, message: `YAML alias *${node.source} has no anchor &${node.source} before it in this document` });
        return { type: 'scalar', line, value: null };
      }
      // The alias stands where it is written: keep its line, take the anchor's content.
      const resolved = this.convert(target, line, depth + 1);
      return { ...resolved, line } as YNode;
    }
    if (isMap(node)) {
      const entries = new Map<string, YEntry>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlAstNode | null;
        const keyLine = this.lineOf(keyNode?.range?.[0], line);
        let key: string;
        if (keyNode === null || keyNode === undefined) key = '';
        else if (isScalar(keyNode)) key = String(keyNode.value);
        else {
          this.problems.push({ line: keyNode.range ? this.lineOf(keyNode.range[0], line) : line, message: 'a mapping key must be a plain string, not a list or a mapping' });
          continue;
        }
        const value = pair.value === null || pair.value === undefined ? { type: 'scalar' as const, line: keyLine, value: null } : this.convert(pair.value, keyLine, depth + 1);
        entries.set(key, { keyLine, value });
      }
      return { type: 'map', line, entries };
    }
    if (isSeq(node)) {
      return { type: 'seq', line, items: node.items.map((item) => this.convert(item, line, depth + 1)) };
    }
    if (isScalar(node)) {
      const v: unknown = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { type: 'scalar', line, value: v };
      // Custom tags (!!binary, !!timestamp under yaml-1.1 rules) give objects: keep their text.
      return { type: 'scalar', line, value: node.source ?? String(v) };
    }
    return { type: 'scalar', line, value: null };
  }
}

/**
 * Splits a multi-document YAML (or JSON) text into documents. Never throws: syntax errors come
 * back as problems with their line, and the documents that could be read are still returned.
 * The YAML 1.2 core schema applies (as in the `yaml` package): `yes`/`on` stay strings.
 */
export function readYamlDocuments(text: string): { documents: YamlDocument[]; problems: YamlProblem[] } {
  const lines = new LineCounter();
  const problems: YamlProblem[] = [];
  const documents: YamlDocument[] = [];
  let parsed: Document.Parsed[];
  try {
    const result = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    parsed = Array.isArray(result) ? result : [];
  } catch (err) {
    // The parser reports errors on the documents; this only guards against an internal failure.
    problems.push({ line: 1, message: `YAML could not be read: ${err instanceof Error ? err.message : String(err)}` });
    return { documents, problems };
  }
  for (const doc of parsed) {
    const docLine = lines.linePos(doc.range[0]).line;
    for (const error of doc.errors) {
      const line = error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line;
      problems.push({ line, message: `YAML syntax error: ${firstLine(error.message)}` });
    }
    if (doc.errors.length > 0) continue;
    const converter = new Converter(doc, lines, problems);
    const root = doc.contents === null ? null : converter.convert(doc.contents, docLine, 0);
    documents.push({ line: root?.line ?? docLine, root });
  }
  return { documents, problems };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
