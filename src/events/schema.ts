/**
 * The event schema: the one source of truth. TypeScript types, runtime validators and the
 * JSON Schema served at GET /v1/schema are all derived from the TypeBox definitions below.
 */
import { Type, type Static, type TLiteral, type TSchema } from '@sinclair/typebox';

export const SCHEMA_VERSION = 1;

/** Epoch milliseconds; events before 2000-01-01 are treated as broken clocks, not history. */
export const MIN_TIMESTAMP_MS = 946_684_800_000;
/** How far ahead of the collector's clock a (skew-corrected) event may claim to be. */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;

const Id = Type.String({ minLength: 1, maxLength: 128 });
const Timestamp = Type.Number({ minimum: MIN_TIMESTAMP_MS, maximum: 8_640_000_000_000 });
const ShortText = Type.String({ maxLength: 2048 });

/** The device classes a context may name (the tracker picks one from the viewport width). */
export const DEVICES = ['desktop', 'mobile', 'tablet', 'other'] as const;
export type Device = (typeof DEVICES)[number];

export const EventContext = Type.Object(
  {
    page: Type.Optional(ShortText),
    referrer: Type.Optional(ShortText),
    device: Type.Optional(Type.Union(DEVICES.map((d) => Type.Literal(d)))),
    locale: Type.Optional(Type.String({ maxLength: 35 })),
    region: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
);

/** Fields every event carries. */
const common = {
  id: Id,
  ts: Timestamp,
  sentAt: Type.Optional(Timestamp),
  anonymousId: Id,
  sessionId: Type.Optional(Id),
  userId: Type.Optional(Id),
  context: Type.Optional(EventContext),
  schemaVersion: Type.Optional(Type.Literal(SCHEMA_VERSION)),
};

const itemFields = {
  itemId: Id,
  price: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
  quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  category: Type.Optional(Id),
};

function eventOf<T extends string, P extends Record<string, TSchema>>(type: T, props: P, description: string) {
  // A type's own fields override the common ones (identify makes userId required).
  const properties = { type: Type.Literal(type), ...common, ...props } as { type: TLiteral<T> } & Omit<typeof common, keyof P> & P;
  return Type.Object(properties, { additionalProperties: false, description, $id: `#/definitions/${type}` });
}

const ListRef = {
  listId: Type.Optional(Type.String({ maxLength: 128 })),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
};

export const eventSchemas = {
  page_view: eventOf('page_view', {}, 'A page was shown.'),
  product_view: eventOf('product_view', itemFields, 'A product detail page or quick view was shown.'),
  impression: eventOf(
    'impression',
    {
      items: Type.Array(Id, { minItems: 1, maxItems: 200 }),
      positions: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 10_000 }), { maxItems: 200 })),
      listId: Type.Optional(Type.String({ maxLength: 128 })),
    },
    'Items of a list were seen (at least half visible for a second).',
  ),
  click: eventOf('click', { itemId: Type.Optional(Id), ...ListRef }, 'A marked element (often a product in a list) was clicked.'),
  add_to_cart: eventOf('add_to_cart', itemFields, 'An item was added to the cart.'),
  remove_from_cart: eventOf('remove_from_cart', itemFields, 'An item was removed from the cart.'),
  purchase: eventOf(
    'purchase',
    {
      orderId: Type.Optional(Type.String({ maxLength: 128 })),
      items: Type.Array(
        Type.Object(
          {
            itemId: Id,
            price: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
            quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 500 },
      ),
    },
    'An order was placed.',
  ),
  search: eventOf('search', { query: Type.String({ maxLength: 512 }) }, 'A search was run.'),
  scroll: eventOf('scroll', { depth: Type.Number({ minimum: 0, maximum: 100 }) }, 'Scroll depth milestone, in percent of the page.'),
  dwell: eventOf('dwell', { visibleMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }), itemId: Type.Optional(Id) }, 'Time the page was visible and the shopper active since the last dwell ping.'),
  identify: eventOf('identify', { userId: Id }, 'Links this device to a pseudonymous user id.'),
  consent: eventOf(
    'consent',
    { granted: Type.Boolean(), purposes: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })) },
    'The shopper granted or withdrew consent.',
  ),
} as const;

export type EventType = keyof typeof eventSchemas;
export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[];

export type EventOf<T extends EventType> = Static<(typeof eventSchemas)[T]>;
export type TrackedEvent = { [T in EventType]: EventOf<T> }[EventType];

/** The JSON Schema document served at GET /v1/schema. */
export function jsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://sessionwise.dev/schema/events/v${SCHEMA_VERSION}.json`,
    title: `Sessionwise event, schema version ${SCHEMA_VERSION}`,
    description: 'One tracked event. POST /v1/events takes {"events": [event, ...]} (at most 500 events, 1 MB).',
    oneOf: EVENT_TYPES.map((t) => ({ $ref: `#/definitions/${t}` })),
    discriminator: { propertyName: 'type' },
    definitions: Object.fromEntries(EVENT_TYPES.map((t) => [t, stripIds(eventSchemas[t])])),
  };
}

function stripIds(schema: TSchema): Record<string, unknown> {
  const { $id: _id, ...rest } = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return rest;
}
