import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { EVENT_TYPES, eventSchemas, type EventType, type TrackedEvent } from './schema.ts';

export type Validation = { ok: true; event: TrackedEvent } | { ok: false; reason: string };

const checkers = new Map<string, TypeCheck<(typeof eventSchemas)[EventType]>>(
  EVENT_TYPES.map((t) => [t, TypeCompiler.Compile(eventSchemas[t])]),
);

/** Validates one event on its own; the reason names the first offending field. */
export function validateEvent(input: unknown): Validation {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, reason: `event must be a JSON object, got ${describe(input)}` };
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, reason: '/type: required string naming the event type' };
  const checker = checkers.get(type);
  if (!checker) return { ok: false, reason: `/type: unknown event type "${clip(type)}" (known: ${EVENT_TYPES.join(', ')})` };
  if (!checker.Check(input)) {
    const first = checker.Errors(input).First();
    return { ok: false, reason: first ? `${first.path || '/'}: ${first.message}` : 'does not match the schema' };
  }
  const badString = illFormedStringPath(input, 0);
  if (badString !== undefined) return { ok: false, reason: `${badString || '/'}: string is not well-formed Unicode (lone surrogate)` };
  return { ok: true, event: input as TrackedEvent };
}

// Schemas bound depth to 3, so the walk is short; it exists because JSON escapes (\ud800) can
// smuggle lone surrogates past the UTF-8 check of the raw body. Returns the path below `value`
// ('' for value itself); paths are only built for the rare bad string, as this runs per event.
function illFormedStringPath(value: unknown, depth: number): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : '';
  if (depth > 4 || value === null || typeof value !== 'object') return undefined;
  for (const k in value) {
    const found = illFormedStringPath((value as Record<string, unknown>)[k], depth + 1);
    if (found !== undefined) return `/${k}${found}`;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

export function clip(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
