/**
 * Reading JSON and JSON Lines dataset files with exact error positions. Node 20's `JSON.parse` often reports no
 * position at all (`Unexpected token '}', "..." is not valid JSON`), so on failure the text is scanned again to find
 * the 1-based line and column of the first syntax error.
 */
import { readFile } from 'node:fs/promises';

import { DatasetParseError } from '../errors/dataset-parse-error.js';

/** One line of a JSON Lines file: the parsed value, or why the line is not JSON. Blank lines are not listed. */
export type JsonLine = { readonly line: number; readonly value: unknown } | { readonly line: number; readonly error: DatasetParseError };

/** Reads a whole JSON file (UTF-8, optional BOM). Throws `DatasetParseError` with line and column if it is malformed. */
export async function readJsonFile(file: string): Promise<unknown> {
  const text = stripBom(await readFile(file, 'utf8'));
  try {
    return JSON.parse(text);
  } catch (cause) {
    const { offset, reason } = locateJsonError(text) ?? { offset: 0, reason: String(cause) };
    const { line, column } = lineAndColumn(text, offset);
    throw new DatasetParseError(file, line, column, reason, { cause });
  }
}

/**
 * Reads a JSON Lines file: one JSON value per line, blank lines ignored. A malformed line does not stop the read; it
 * comes back as an entry with an `error`, so the caller's error policy decides whether to throw or skip it.
 */
export async function readJsonLines(file: string): Promise<JsonLine[]> {
  const lines = splitLines(stripBom(await readFile(file, 'utf8')));
  const entries: JsonLine[] = [];
  lines.forEach((text, index) => {
    if (text.trim() === '') return;
    const line = index + 1;
    try {
      entries.push({ line, value: JSON.parse(text) });
    } catch (cause) {
      const { offset, reason } = locateJsonError(text) ?? { offset: 0, reason: String(cause) };
      entries.push({ line, error: new DatasetParseError(file, line, offset + 1, reason, { cause }) });
    }
  });
  return entries;
}

/** Splits text into lines, accepting `\n` and `\r\n` endings. A final newline does not add an empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The non-blank lines of a UTF-8 text file (BOM removed), each with its 1-based line number. */
export async function readTextLines(file: string): Promise<{ content: string; line: number }[]> {
  return splitLines(stripBom(await readFile(file, 'utf8')))
    .map((content, index) => ({ content, line: index + 1 }))
    .filter((entry) => entry.content.trim() !== '');
}

/** Removes a UTF-8 byte-order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset && index < text.length; index++) {
    if (text.charCodeAt(index) === 10) {
      line++;
      lineStart = index + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Finds the first JSON syntax error in `text` (RFC 8259): its offset and a short description, or `undefined` if the
 * text is valid. Used only after `JSON.parse` has failed, so speed does not matter.
 */
export function locateJsonError(text: string): { offset: number; reason: string } | undefined {
  let index = 0;

  const peek = (): string | undefined => text[index];
  const describe = (char: string | undefined): string => (char === undefined ? 'end of file (the file looks truncated)' : `character ${JSON.stringify(char)}`);
  const fail = (reason: string): never => {
    throw new JsonSyntax(index, reason);
  };
  const skipWhitespace = (): void => {
    while (index < text.length && ' \t\n\r'.includes(text[index] as string)) index++;
  };
  const expectLiteral = (literal: string): void => {
    if (text.startsWith(literal, index)) index += literal.length;
    else fail(`unexpected ${JSON.stringify(text.slice(index, index + literal.length))}, expected ${JSON.stringify(literal)}`);
  };

  const parseString = (): void => {
    const start = index;
    index++; // opening quote
    for (;;) {
      const char = peek();
      if (char === undefined) throw new JsonSyntax(start, 'unterminated string starting here (the file looks truncated)');
      if (char === '"') {
        index++;
        return;
      }
      if (char === '\\') {
        index++;
        const escape = peek();
        if (escape === 'u') {
          index++;
          for (let digit = 0; digit < 4; digit++) {
            if (!/[0-9a-fA-F]/.test(peek() ?? '')) fail(`invalid \\u escape: expected a hex digit, got ${describe(peek())}`);
            index++;
          }
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) {
          index++;
        } else {
          fail(`invalid escape ${describe(escape)} in string`);
        }
      } else if ((char as string).charCodeAt(0) < 0x20) {
        fail('unescaped control character (e.g. a raw line break) in string');
      } else {
        index++;
      }
    }
  };

  const digits = (what: string): void => {
    if (!/[0-9]/.test(peek() ?? '')) fail(`expected a digit in ${what}, got ${describe(peek())}`);
    while (/[0-9]/.test(peek() ?? '')) index++;
  };

  const parseNumber = (): void => {
    if (peek() === '-') index++;
    if (peek() === '0') index++;
    else digits('number');
    if (peek() === '.') {
      index++;
      digits('fraction');
    }
    if (peek() === 'e' || peek() === 'E') {
      index++;
      if (peek() === '+' || peek() === '-') index++;
      digits('exponent');
    }
  };

  const parseValue = (): void => {
    skipWhitespace();
    const char = peek();
    if (char === '{') parseObject();
    else if (char === '[') parseArray();
    else if (char === '"') parseString();
    else if (char === 't') expectLiteral('true');
    else if (char === 'f') expectLiteral('false');
    else if (char === 'n') expectLiteral('null');
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) parseNumber();
    else fail(`unexpected ${describe(char)}, expected a value`);
  };

  const parseObject = (): void => {
    index++; // {
    skipWhitespace();
    if (peek() === '}') {
      index++;
      return;
    }
    for (;;) {
      skipWhitespace();
      if (peek() !== '"') fail(`unexpected ${describe(peek())}, expected a property name in double quotes`);
      parseString();
      skipWhitespace();
      if (peek() !== ':') fail(`unexpected ${describe(peek())}, expected ':' after a property name`);
      index++;
      parseValue();
      skipWhitespace();
      const next = peek();
      if (next === '}') {
        index++;
        return;
      }
      if (next !== ',') fail(`unexpected ${describe(next)}, expected ',' or '}' after a property value`);
      index++;
      skipWhitespace();
      if (peek() === '}') fail("trailing comma before '}'");
    }
  };

  const parseArray = (): void => {
    index++; // [
    skipWhitespace();
    if (peek() === ']') {
      index++;
      return;
    }
    for (;;) {
      parseValue();
      skipWhitespace();
      const next = peek();
      if (next === ']') {
        index++;
        return;
      }
      if (next !== ',') fail(`unexpected ${describe(next)}, expected ',' or ']' after an array element`);
      index++;
      skipWhitespace();
      if (peek() === ']') fail("trailing comma before ']'");
    }
  };

  try {
    parseValue();
    skipWhitespace();
    if (index < text.length) fail(`unexpected ${describe(peek())} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntax) return { offset: error.offset, reason: error.reason };
    if (error instanceof RangeError) return undefined; // nesting too deep to scan; the caller falls back to offset 0
    throw error;
  }
}

/** Reads a JSON file that must hold an array of records (VQA-RAD, SLAKE, MedPix `Descriptions.json`). */
export async function readJsonArray(file: string): Promise<unknown[]> {
  const value = await readJsonFile(file);
  if (!Array.isArray(value)) {
    const kind = value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
    throw new DatasetParseError(file, 1, 1, `expected a JSON array of records, got ${kind}`);
  }
  return value;
}
