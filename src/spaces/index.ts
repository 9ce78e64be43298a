export { fetchSpace, memberName, ROOM_ID_PATTERN } from './space';
