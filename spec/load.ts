// YAML text or file → validated, normalized ExperimentSpec. Every problem is reported at once, each with
// `file:line:column: field: message`; nothing here throws anything but SpecError for bad input.
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { describeValue } from './describe';
import { SpecError, type FieldIssue, type SpecProblem } from './errors';
import { normalizeSpec } from './normalize';
import { validateAgainstSchema } from './schema';
import { checkSpecSemantics, type KnownNames } from './semantic-check';
import type { ExperimentSpec } from './types';
import { SourceLocator, formatPath } from './yaml-locate';

export const MAX_SPEC_BYTES = 1024 * 1024;
/** Alias expansions allowed when building the data; a few anchors are handy, millions are an attack. */
export const MAX_ALIAS_COUNT = 100;

export interface LoadSpecOptions {
  /** Registered data sets, models, samplers, schedulers: names outside these lists are errors. */
  knownNames?: KnownNames;
  /** Where relative paths to the user's code are resolved (default: the spec file's folder). */
  baseDir?: string;
}

/** A spec file's text: at most MAX_SPEC_BYTES of UTF-8; a file that cannot be read is a SpecError naming it and why. */
export async function readSpecText(path: string): Promise<string> {
  try {
    const { size } = await stat(path);
    if (size > MAX_SPEC_BYTES) throw tooLarge(path, size);
    return decodeUtf8(await readFile(path), path);
  } catch (err) {
    if (err instanceof SpecError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new SpecError([{ file: path, line: 0, column: 0, path: '', message: `cannot read the spec file (${reason})` }]);
  }
}

export async function loadSpecFile(path: string, options: LoadSpecOptions = {}): Promise<ExperimentSpec> {
  return parseSpec(await readSpecText(path), path, options);
}

export function parseSpec(text: string, fileName: string, options: LoadSpecOptions = {}): ExperimentSpec {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_SPEC_BYTES) throw tooLarge(fileName, size);
  const nul = text.indexOf('\0');
  if (nul >= 0) throw notText(fileName, text, nul, 'contains a NUL character: a spec is a YAML text file, this looks binary');

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true });
  const locator = new SourceLocator(doc, lineCounter);
  const problemAt = (issue: FieldIssue): SpecProblem => ({
    file: fileName,
    ...locator.position(issue.path, issue.target),
    path: formatPath(issue.path),
    message: issue.message,
  });

  const syntaxProblems = yamlProblems([...doc.errors, ...doc.warnings], locator, fileName);
  if (syntaxProblems.length > 0) throw new SpecError(syntaxProblems);

  if (!isMap(doc.contents)) {
    const what = doc.contents === null ? 'the file is empty' : `got ${isSeq(doc.contents) ? 'a list' : describeValue(doc.toJS())}`;
    throw new SpecError([
      problemAt({ path: [], message: `the top level must be a mapping of fields such as name, dataset, model (${what})` }),
    ]);
  }

  const inexact = inexactIntegers(doc, locator, fileName);
  if (inexact.length > 0) throw new SpecError(inexact);

  const data = buildData(doc, locator, fileName);
  const nonData = nonJsonValues(data, []);
  if (nonData.length > 0) throw new SpecError(nonData.map(problemAt));

  const validation = validateAgainstSchema(data);
  if (!validation.valid) throw new SpecError(validation.issues.map(problemAt));

  const spec = normalizeSpec(validation.input, options.baseDir ?? specFolder(fileName));
  const semanticIssues = checkSpecSemantics(spec, validation.input, options.knownNames);
  if (semanticIssues.length > 0) throw new SpecError(semanticIssues.map(problemAt));
  return spec;
}

/** A spec file's folder; a name like `<inline spec>` is no file: then the working folder. */
function specFolder(fileName: string): string {
  return fileName.startsWith('<') ? '.' : dirname(fileName);
}

function tooLarge(file: string, bytes: number): SpecError {
  const megabytes = bytes / MAX_SPEC_BYTES;
  const shown = megabytes >= 10 ? Math.round(megabytes).toString() : megabytes.toFixed(1);
  return new SpecError([
    { file, line: 1, column: 1, path: '', message: `spec file is ${shown} MB; the limit is ${MAX_SPEC_BYTES / (1024 * 1024)} MB` },
  ]);
}

/** The file's bytes as text; anything but UTF-8 (a UTF-16 editor default, Latin-1 accents) is refused where it starts. */
function decodeUtf8(bytes: Buffer, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new SpecError([{ file, line: 1, column: 1, path: '', message: 'the file is UTF-16 text; save it as UTF-8' }]);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = bytes.toString('utf8');
    throw notText(file, text, Math.max(0, text.indexOf('\uFFFD')), 'is not valid UTF-8 here (save the file as UTF-8)');
  }
}

function notText(file: string, text: string, index: number, message: string): SpecError {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return new SpecError([{ file, line, column: index - before.lastIndexOf('\n'), path: '', message }]);
}

/** YAML syntax errors and warnings, one per place (the parser often reports a mistake several times). */
function yamlProblems(errors: YAMLError[], locator: SourceLocator, file: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const { line, column } = locator.positionOfOffset(error.pos[0]);
    if (seen.has(`${line}:${column}`)) continue;
    seen.add(`${line}:${column}`);
    // prettyErrors appends " at line L, column C:" and a source excerpt; the position is already in the prefix.
    const text = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    let path = '';
    let message: string;
    switch (error.code) {
      case 'DUPLICATE_KEY': {
        const keyPath = locator.pathAtOffset(error.pos[0]);
        path = formatPath(keyPath.slice(0, -1));
        message = `duplicate key "${String(keyPath[keyPath.length - 1] ?? '')}" (keys in a mapping must be unique)`;
        break;
      }
      case 'TAB_AS_INDENT':
        message = 'YAML syntax error: tabs are not allowed for indentation (indent with spaces)';
        break;
      case 'MULTIPLE_DOCS':
        message = 'YAML syntax error: the file holds several documents (a second "---"); a spec is one document';
        break;
      default:
        message = `YAML ${error.name === 'YAMLWarning' ? 'problem' : 'syntax error'}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
    }
    problems.push({ file, line, column, path, message });
  }
  return problems;
}

/**
 * Integers written out in digits beyond 2^53 lose digits silently (a budget of 10^29 trials is a typo, not
 * a plan). Only digit literals: `1e30` is a float on purpose (a learning rate that must diverge, say).
 */
function inexactIntegers(doc: Document, locator: SourceLocator, file: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== 'number' || Number.isSafeInteger(node.value) || !/^[-+]?[0-9_]+$/.test(node.source ?? '')) return;
      const offset = node.range?.[0] ?? 0;
      problems.push({
        file,
        ...locator.positionOfOffset(offset),
        path: formatPath(locator.pathAtOffset(offset)),
        message: `${node.source} is too large to be exact (the largest integer is ${Number.MAX_SAFE_INTEGER})`,
      });
    },
  });
  return problems;
}

/** The document as plain data, refusing alias bombs and dangling aliases with a located message. */
function buildData(doc: Document, locator: SourceLocator, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const dangling = /Unresolved alias.*: (.+)$/.exec(err.message)?.[1];
    let offset = 0;
    let found = false;
    visit(doc, {
      Alias(_, node) {
        if (found || (dangling !== undefined && node.source !== dangling)) return;
        offset = node.range?.[0] ?? 0;
        found = true;
      },
    });
    const message =
      dangling !== undefined
        ? `YAML alias *${dangling} has no anchor &${dangling} before it`
        : `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} expansions): the file looks like an alias bomb`;
    throw new SpecError([{ file, ...locator.positionOfOffset(offset), path: '', message }]);
  }
}

/** Values that YAML can express but JSON (hence Temporal payloads) cannot: .inf, .nan, !!binary. */
function nonJsonValues(value: unknown, path: (string | number)[]): FieldIssue[] {
  if (typeof value === 'number' && !Number.isFinite(value)) return [{ path, message: `must be a finite number (got ${value})` }];
  if (Array.isArray(value)) return value.flatMap((item, index) => nonJsonValues(item, [...path, index]));
  if (value !== null && typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype) {
      return [{ path, message: 'must be plain YAML data: a string, number, boolean, list or mapping' }];
    }
    return Object.entries(value).flatMap(([key, item]) => nonJsonValues(item, [...path, key]));
  }
  return [];
}
