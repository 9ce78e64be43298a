import { createHash } from 'node:crypto';

/** The seeded users' handles, in the order the consent page lists them. */
export const SEED_USER_HANDLES = ['alice', 'bob', 'carol', 'mallory'] as const;
export type SeedUserHandle = (typeof SEED_USER_HANDLES)[number];

export type RoomType = 'direct' | 'group';
export type RoomSort = 'id' | 'lastactivity' | 'created';

/** A Person as GET /v1/people/me returns it. */
export interface WebexPerson {
  id: string;
  emails: string[];
  phoneNumbers: never[];
  displayName: string;
  nickName: string;
  firstName: string;
  lastName: string;
  avatar: string;
  orgId: string;
  created: string;
  lastActivity: string;
  status: 'active';
  type: 'person';
}

/** A Room as GET /v1/rooms lists it. */
export interface WebexRoom {
  id: string;
  title: string;
  type: RoomType;
  isLocked: boolean;
  teamId?: string;
  lastActivity: string;
  creatorId: string;
  created: string;
  ownerId: string;
  isPublic: false;
  isReadOnly: false;
}

/** A Team as GET /v1/teams lists it (creatorId: on Webex's reference page, not in its OpenAPI description). */
export interface WebexTeam {
  id: string;
  name: string;
  description?: string;
  creatorId: string;
  created: string;
}

/** A Membership as GET /v1/memberships lists it. */
export interface WebexMembership {
  id: string;
  roomId: string;
  personId: string;
  personEmail: string;
  personDisplayName: string;
  personOrgId: string;
  isModerator: boolean;
  isMonitor: boolean;
  isRoomHidden: boolean;
  roomType: RoomType;
  created: string;
}

/** Someone else in a space: a colleague, or in Mallory's spaces someone whose name is markup. */
interface MemberSeed {
  name: string;
  email: string;
  moderator?: boolean;
}

export interface SeedUser {
  readonly handle: SeedUserHandle;
  readonly person: WebexPerson;
  readonly roomCount: number;
}

interface RoomSeed {
  title: string;
  type: RoomType;
  isLocked?: boolean;
  team?: string;
  /** Minutes after EPOCH; distinct per user so every sort order is total. */
  createdAt: number;
  activeAt: number;
  /** The other person created it, not the user. */
  byOther?: boolean;
  /** The others in it (a direct space: the one person its title names); a number: that many made-up people. */
  members?: MemberSeed[] | number;
  /** The user moderates it. */
  moderator?: boolean;
}

/** A team, named by the `team` of the rooms in it: a person is in the teams of their rooms. */
interface TeamSeed {
  name: string;
  description?: string;
  createdAt: number;
  /** Someone else created it. */
  byOther?: boolean;
}

const TEAM_SEEDS: Record<string, TeamSeed> = {
  'sandbox-team': { name: 'Sandbox Team', description: 'Everyone who builds the sandbox', createdAt: 5 },
  'markup-team': {
    name: '<b>Bold</b> & "Team"',
    description: '<script>alert("team")</script>',
    createdAt: 105,
    byOther: true,
  },
  ...Object.fromEntries(
    ['planning', 'design', 'build', 'launch', 'retro'].map((topic, i) => [
      `carol-team-${i}`,
      { name: `Carol's ${topic} team`, createdAt: 3 + i, byOther: i % 2 === 1 },
    ]),
  ),
};

const EPOCH_MS = Date.UTC(2024, 0, 8, 9, 0, 0);
const MINUTE_MS = 60_000;
const ORG_ID = webexId('ORGANIZATION', 'sandbox-org');
const OTHER_PERSON_ID = webexId('PEOPLE', 'sandbox-colleague');

function isoAt(minutes: number): string {
  return new Date(EPOCH_MS + minutes * MINUTE_MS).toISOString();
}

/** A v4-shaped UUID from a hash, so ids are the same on every run and every machine. */
function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Webex ids are base64 of a ciscospark:// URI, without padding. */
function webexId(kind: 'PEOPLE' | 'ROOM' | 'ORGANIZATION' | 'TEAM' | 'MEMBERSHIP', name: string): string {
  const uri = `ciscospark://us/${kind}/${stableUuid(`${kind}:${name}`)}`;
  return Buffer.from(uri).toString('base64').replace(/=+$/, '');
}

interface UserSeed {
  handle: SeedUserHandle;
  displayName: string;
  firstName: string;
  lastName: string;
  nickName: string;
  createdAt: number;
  activeAt: number;
  roomCount: number;
  rooms: () => RoomSeed[];
}

const DAVE: MemberSeed = { name: 'Dave Example', email: 'dave@example.com' };
const ERIN: MemberSeed = { name: 'Erin Example', email: 'erin@example.com' };
const FRANK: MemberSeed = { name: 'Frank Sample', email: 'frank@example.com' };
const GRACE: MemberSeed = { name: 'Grace Sample', email: 'grace@example.com' };
const HEIDI: MemberSeed = { name: 'Heidi Sample', email: 'heidi@example.com' };

/** The whole-company space: enough people for two pages of 1,000 and a cap. */
const STANDUP_CROWD = 1_199;

const ALICE_ROOMS: RoomSeed[] = [
  {
    title: 'Sandbox Team Standup',
    type: 'group',
    team: 'sandbox-team',
    createdAt: 10,
    activeAt: 9_000,
    members: STANDUP_CROWD,
  },
  { title: 'Dave Example', type: 'direct', createdAt: 20, activeAt: 8_500, byOther: true, members: [DAVE] },
  {
    title: 'Design Reviews',
    type: 'group',
    team: 'sandbox-team',
    createdAt: 30,
    activeAt: 4_000,
    members: [DAVE, ERIN, FRANK],
  },
  {
    title: 'Release Planning',
    type: 'group',
    isLocked: true,
    createdAt: 40,
    activeAt: 7_000,
    moderator: true,
    members: [{ ...GRACE, moderator: true }, FRANK],
  },
  { title: 'Erin Example', type: 'direct', createdAt: 50, activeAt: 2_000, members: [ERIN] },
  {
    title: 'Random',
    type: 'group',
    createdAt: 60,
    activeAt: 6_000,
    byOther: true,
    members: [DAVE, ERIN, FRANK, GRACE, HEIDI],
  },
  { title: 'Coffee Chat', type: 'group', createdAt: 70, activeAt: 5_000, members: [HEIDI] },
];

/** People whose names are markup: they must show as text. */
const MARKUP_MEMBERS: MemberSeed[] = [
  { name: '<script>alert("member")</script>', email: 'script@example.com', moderator: true },
  { name: `Eve & "Co" 'Quoted'`, email: 'eve@example.com' },
  { name: '<img src=x onerror=alert(2)>', email: 'img@example.com' },
];

const MALLORY_ROOMS: RoomSeed[] = [
  { title: '<script>alert(1)</script>', type: 'group', createdAt: 100, activeAt: 3_000, members: MARKUP_MEMBERS },
  {
    title: 'Tom & Jerry',
    type: 'group',
    team: 'markup-team',
    createdAt: 110,
    activeAt: 2_500,
    members: [DAVE, MARKUP_MEMBERS[1]],
  },
  {
    title: `"Double" and 'single' quotes`,
    type: 'group',
    createdAt: 120,
    activeAt: 3_500,
    members: MARKUP_MEMBERS,
  },
  {
    title: '<img src=x onerror=alert(1)>',
    type: 'direct',
    createdAt: 130,
    activeAt: 1_500,
    byOther: true,
    members: [MARKUP_MEMBERS[2]],
  },
];

const CAROL_ROOM_COUNT = 2_600;
const CAROL_TOPICS = ['planning', 'design', 'build', 'launch', 'retro'];

function carolRooms(): RoomSeed[] {
  const rooms: RoomSeed[] = [];
  for (let i = 1; i <= CAROL_ROOM_COUNT; i++) {
    const n = String(i).padStart(4, '0');
    const direct = i % 10 === 0;
    const colleague = { name: `Colleague ${n}`, email: `colleague-${n}@example.com` };
    rooms.push({
      title: direct ? colleague.name : `Project ${n} ${CAROL_TOPICS[i % CAROL_TOPICS.length]}`,
      members: direct ? [colleague] : [colleague, DAVE],
      type: direct ? 'direct' : 'group',
      team: !direct && i % 3 === 0 ? `carol-team-${i % 5}` : undefined,
      createdAt: i * 7,
      // 7919 is prime and coprime with 2600, so activity is a permutation unrelated to creation order.
      activeAt: 20_000 + ((i * 7919) % CAROL_ROOM_COUNT) * 5,
      byOther: i % 4 === 0,
    });
  }
  return rooms;
}

const USER_SEEDS: Record<SeedUserHandle, UserSeed> = {
  alice: {
    handle: 'alice',
    displayName: 'Alice Sandbox',
    firstName: 'Alice',
    lastName: 'Sandbox',
    nickName: 'Alice',
    createdAt: 0,
    activeAt: 9_100,
    roomCount: ALICE_ROOMS.length,
    rooms: () => ALICE_ROOMS,
  },
  bob: {
    handle: 'bob',
    displayName: 'Bob Newcomer',
    firstName: 'Bob',
    lastName: 'Newcomer',
    nickName: 'Bob',
    createdAt: 8_000,
    activeAt: 8_001,
    roomCount: 0,
    rooms: () => [],
  },
  carol: {
    handle: 'carol',
    displayName: 'Carol Busy',
    firstName: 'Carol',
    lastName: 'Busy',
    nickName: 'Carol',
    createdAt: 1,
    activeAt: 40_000,
    roomCount: CAROL_ROOM_COUNT,
    rooms: carolRooms,
  },
  mallory: {
    handle: 'mallory',
    displayName: `<img src=x onerror=alert(1)> Mallory & "Friends" 'Quoted'`,
    firstName: '<b>Mallory</b>',
    lastName: `& "Friends"`,
    nickName: `'Quoted'`,
    createdAt: 2,
    activeAt: 3_600,
    roomCount: MALLORY_ROOMS.length,
    rooms: () => MALLORY_ROOMS,
  },
};

function buildUser(seed: UserSeed): SeedUser {
  const id = webexId('PEOPLE', seed.handle);
  return {
    handle: seed.handle,
    roomCount: seed.roomCount,
    person: {
      id,
      emails: [`${seed.handle}@example.com`],
      phoneNumbers: [],
      displayName: seed.displayName,
      nickName: seed.nickName,
      firstName: seed.firstName,
      lastName: seed.lastName,
      avatar: `https://avatar.example.com/Avtr~V1~sandbox/V1~${seed.handle}~1600`,
      orgId: ORG_ID,
      created: isoAt(seed.createdAt),
      lastActivity: isoAt(seed.activeAt),
      status: 'active',
      type: 'person',
    },
  };
}

export const SEED_USERS: ReadonlyMap<string, SeedUser> = new Map(
  SEED_USER_HANDLES.map((handle) => [handle, buildUser(USER_SEEDS[handle])]),
);

export function findSeedUser(handle: string): SeedUser | undefined {
  return SEED_USERS.get(handle);
}

function buildRooms(user: SeedUser): WebexRoom[] {
  return USER_SEEDS[user.handle].rooms().map((seed, index): WebexRoom => ({
    id: webexId('ROOM', `${user.handle}:${index}`),
    title: seed.title,
    type: seed.type,
    isLocked: seed.isLocked ?? false,
    ...(seed.team ? { teamId: webexId('TEAM', seed.team) } : {}),
    lastActivity: isoAt(seed.activeAt),
    creatorId: seed.byOther ? OTHER_PERSON_ID : user.person.id,
    created: isoAt(seed.createdAt),
    ownerId: ORG_ID,
    isPublic: false,
    isReadOnly: false,
  }));
}

const COMPARE: Record<RoomSort, (a: WebexRoom, b: WebexRoom) => number> = {
  id: (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  // ISO timestamps of one format sort as strings; newest first, as Webex does.
  lastactivity: (a, b) => (a.lastActivity < b.lastActivity ? 1 : a.lastActivity > b.lastActivity ? -1 : 0),
  created: (a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0),
};

// The data never changes, so sorted views are built once per process on first use (carol's
// 2,600 rooms would otherwise be sorted on every page) and shared by every emulator instance.
const roomViews = new Map<string, readonly WebexRoom[]>();

/** The user's rooms in the given order, filtered by type and team. */
export function listRooms(
  user: SeedUser,
  sortBy: RoomSort,
  type: RoomType | undefined,
  teamId: string | undefined,
): readonly WebexRoom[] {
  if (user.roomCount === 0) return [];
  const key = `${user.handle}|${sortBy}|${type ?? ''}`;
  let view = roomViews.get(key);
  if (!view) {
    const all = roomViews.get(user.handle) ?? buildRooms(user);
    roomViews.set(user.handle, all);
    view = all.filter((room) => !type || room.type === type).sort(COMPARE[sortBy]);
    roomViews.set(key, view);
  }
  return teamId === undefined ? view : view.filter((room) => room.teamId === teamId);
}

const roomJsonCache = new WeakMap<WebexRoom, string>();

/** A room's JSON, serialised once: a page of 1,000 rooms is then a join, not a stringify. */
export function roomJson(room: WebexRoom): string {
  let json = roomJsonCache.get(room);
  if (json === undefined) {
    json = JSON.stringify(room);
    roomJsonCache.set(room, json);
  }
  return json;
}

const teamViews = new Map<string, readonly WebexTeam[]>();

/** The teams of the user's rooms, oldest first. */
export function listTeams(user: SeedUser): readonly WebexTeam[] {
  let teams = teamViews.get(user.handle);
  if (!teams) {
    const keys = new Set(USER_SEEDS[user.handle].rooms().flatMap((room) => (room.team ? [room.team] : [])));
    teams = [...keys]
      .map((key): [string, TeamSeed] => [key, TEAM_SEEDS[key]])
      .sort(([, a], [, b]) => a.createdAt - b.createdAt)
      .map(([key, seed]) => ({
        id: webexId('TEAM', key),
        name: seed.name,
        ...(seed.description ? { description: seed.description } : {}),
        creatorId: seed.byOther ? OTHER_PERSON_ID : user.person.id,
        created: isoAt(seed.createdAt),
      }));
    teamViews.set(user.handle, teams);
  }
  return teams;
}

/** The made-up people of a crowd, numbered from 1. */
function crowd(count: number): MemberSeed[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return { name: `Teammate ${n}`, email: `teammate-${n}@example.com`, moderator: i < 2 };
  });
}

function buildMemberships(user: SeedUser, room: WebexRoom, seed: RoomSeed): WebexMembership[] {
  const others = typeof seed.members === 'number' ? crowd(seed.members) : (seed.members ?? []);
  const people = [
    { id: user.person.id, email: user.person.emails[0], name: user.person.displayName, moderator: seed.moderator },
    ...others.map((other) => ({
      id: webexId('PEOPLE', other.email),
      email: other.email,
      name: other.name,
      moderator: other.moderator,
    })),
  ];
  return people.map((person, index) => ({
    id: webexId('MEMBERSHIP', `${room.id}:${person.id}`),
    roomId: room.id,
    personId: person.id,
    personEmail: person.email,
    personDisplayName: person.name,
    personOrgId: ORG_ID,
    // Webex has moderators only in group spaces.
    isModerator: room.type === 'group' && (person.moderator ?? false),
    isMonitor: false,
    isRoomHidden: false,
    roomType: room.type,
    created: isoAt(seed.createdAt + index),
  }));
}

/** One of the user's rooms by id; undefined for any other id, another user's rooms included. */
export function findRoom(user: SeedUser, roomId: string): WebexRoom | undefined {
  return listRooms(user, 'id', undefined, undefined).find((room) => room.id === roomId);
}

// Built per room on first use, like the sorted room views.
const membershipViews = new Map<string, readonly WebexMembership[]>();

/**
 * GET /v1/memberships as Webex answers the caller: with a roomId, everyone in that room (none
 * when the caller is not in it); without one, the caller's own memberships. personId and
 * personEmail narrow either.
 */
export function listMemberships(
  user: SeedUser,
  filter: { roomId?: string; personId?: string; personEmail?: string },
): readonly WebexMembership[] {
  const rooms =
    filter.roomId === undefined ? listRooms(user, 'id', undefined, undefined) : [findRoom(user, filter.roomId)];
  const seeds = USER_SEEDS[user.handle].rooms();
  const all = roomViews.get(user.handle) ?? [];
  const memberships = rooms.flatMap((room) => {
    if (!room) return [];
    let members = membershipViews.get(room.id);
    if (!members) {
      members = buildMemberships(user, room, seeds[all.indexOf(room)]);
      membershipViews.set(room.id, members);
    }
    return filter.roomId === undefined ? members.filter((m) => m.personId === user.person.id) : members;
  });
  return memberships.filter(
    (m) =>
      (filter.personId === undefined || m.personId === filter.personId) &&
      (filter.personEmail === undefined || m.personEmail === filter.personEmail),
  );
}
