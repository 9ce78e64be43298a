import { z } from 'zod';
import { webexGet, webexList } from './webex-call';

/*
 * Every Webex call the service makes, and the schema of what it reads from each answer (Webex
 * sends more: fields not named here are dropped). webex.calls.spec.ts checks every path, query
 * parameter and field here against Webex's OpenAPI description (src/webex/contract).
 * Adding a call: declare it here, then `webex.get(webexCalls.x, token, …)` or `webex.list(…)`.
 */

// Shown as given when not a date: a room with an odd timestamp is still a room.
const timestamp = z.string();

export const Person = z.object({
  id: z.string().min(1),
  displayName: z.string(),
  emails: z.array(z.string()).optional(),
  avatar: z.string().optional(),
});
export type WebexPerson = z.infer<typeof Person>;

export const Room = z.object({
  id: z.string().min(1),
  title: z.string(),
  type: z.enum(['direct', 'group']),
  isLocked: z.boolean().optional(),
  lastActivity: timestamp.optional(),
  created: timestamp.optional(),
});
export type WebexRoom = z.infer<typeof Room>;

export const Membership = z.object({
  id: z.string().min(1),
  personId: z.string().optional(),
  personEmail: z.string().optional(),
  personDisplayName: z.string().optional(),
  isModerator: z.boolean().optional(),
});
export type WebexMembership = z.infer<typeof Membership>;

export const Team = z.object({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().optional(),
  created: timestamp.optional(),
});
export type WebexTeam = z.infer<typeof Team>;

export const webexCalls = {
  me: webexGet({ path: '/people/me', scope: 'spark:people_read', answer: Person }),
  rooms: webexList({
    path: '/rooms',
    scope: 'spark:rooms_read',
    item: Room,
    query: z.object({
      sortBy: z.enum(['id', 'lastactivity', 'created']).optional(),
      type: z.enum(['direct', 'group']).optional(),
    }),
  }),
  room: webexGet({ path: '/rooms/{roomId}', scope: 'spark:rooms_read', answer: Room }),
  memberships: webexList({
    path: '/memberships',
    scope: 'spark:memberships_read',
    item: Membership,
    query: z.object({ roomId: z.string().min(1) }),
  }),
  teams: webexList({ path: '/teams', scope: 'spark:teams_read', item: Team }),
};

/** Every scope some call needs: what the sandbox's own integration is given. */
export const WEBEX_CALL_SCOPES: readonly string[] = [...new Set(Object.values(webexCalls).map((call) => call.scope))];
