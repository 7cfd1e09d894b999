/**
 * Reading the fields of one dataset record. Every failure throws `InvalidRecordError` with the record's location
 * and the field's name, so the error policy can throw it or turn it into a skipped-record entry.
 */
import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';

/** A record that is a JSON object, or an error naming the record. */
export function asObject(value: unknown, location: RecordLocation): Readonly<Record<string, unknown>> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new InvalidRecordError(location, 'invalid-field', `the record is ${describeType(value)}, expected a JSON object`);
}

/** A required, non-empty string field. Numbers are accepted and converted (`qid: 3` -> `"3"`). */
export function requiredText(
  record: Readonly<Record<string, unknown>>,
  key: string,
  location: RecordLocation,
  /** How messages name the field, when it is nested (`Description.Caption`); defaults to `key`. */
  field = key,
): string {
  const value = record[key];
  if (value === undefined || value === null) {
    throw new InvalidRecordError(location, 'missing-field', `field '${field}' is missing`, field);
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') {
    throw new InvalidRecordError(location, 'invalid-field', `field '${field}' is ${describeType(value)}, expected a string`, field);
  }
  if (value.trim() === '') throw new InvalidRecordError(location, 'missing-field', `field '${field}' is empty`, field);
  return value;
}

/** A required nested object (`Description` in MedPix), or an error naming the field. */
export function requiredObject(record: Readonly<Record<string, unknown>>, field: string, location: RecordLocation): Readonly<Record<string, unknown>> {
  const value = record[field];
  if (value === undefined || value === null) {
    throw new InvalidRecordError(location, 'missing-field', `field '${field}' is missing`, field);
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRecordError(location, 'invalid-field', `field '${field}' is ${describeType(value)}, expected an object`, field);
  }
  return value as Record<string, unknown>;
}

/** An optional string field: `undefined` when absent or `null`, an error when it has another type. */
export function optionalText(record: Readonly<Record<string, unknown>>, field: string, location: RecordLocation): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') {
    throw new InvalidRecordError(location, 'invalid-field', `field '${field}' is ${describeType(value)}, expected a string`, field);
  }
  return value;
}

/**
 * A sample's `attributes`: for each name, the string at its path in the record (`['Description', 'Plane']` is nested),
 * trimmed; a path that is absent, null, empty or not a string is left out (attributes are optional facts, never a
 * reason to skip a record).
 */
export function recordAttributes(record: Readonly<Record<string, unknown>>, paths: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, path] of Object.entries(paths)) {
    let value: unknown = record;
    for (const key of path) value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    if (typeof value === 'string' && value.trim() !== '') attributes[name] = value.trim();
  }
  return attributes;
}

/** The record's id for messages, when the field is a string or number; never throws. */
export function idOf(record: unknown, field: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const value = (record as Record<string, unknown>)[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
