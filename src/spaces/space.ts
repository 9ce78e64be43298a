import type { WebexClient } from '../auth';
import type { WebexMembership } from '../webex';
import { webexCalls } from '../webex';

/** Webex ids are base64 (or base64url) text; anything else is not worth asking Webex about. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9+/=_-]{1,512}$/;

/** A space's details and its people (every page up to the list cap): what the page and the JSON API show. */
export function fetchSpace(webex: WebexClient, roomId: string) {
  return Promise.all([
    webex.get(webexCalls.room, { params: { roomId } }),
    webex.list(webexCalls.memberships, { query: { roomId } }),
  ]);
}

/** A member as people see them: the name Webex gives, else the address, else a placeholder. */
export function memberName(member: WebexMembership): string {
  return member.personDisplayName ?? member.personEmail ?? 'Someone';
}
