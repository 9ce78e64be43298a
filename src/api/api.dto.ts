import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { ROOM_ID_PATTERN } from '../spaces';

/*
 * What the API takes and gives, as classes: class-validator checks the input, @nestjs/swagger
 * writes the OpenAPI document from the same classes. No class here has a field for a token.
 */

export const SPACES_DEFAULT_LIMIT = 20;
export const SPACES_MAX_LIMIT = 100;

export class SpacesQueryDto {
  @ApiPropertyOptional({
    description: 'How many spaces to return.',
    minimum: 1,
    maximum: SPACES_MAX_LIMIT,
    default: SPACES_DEFAULT_LIMIT,
    example: 20,
    type: 'integer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(SPACES_MAX_LIMIT, { message: `limit must be at most ${SPACES_MAX_LIMIT}` })
  limit?: number;

  @ApiPropertyOptional({
    description: 'The `nextCursor` of the previous page, as given. Opaque, signed, and only valid for the same person.',
    example: 'eyJ2IjoxLCJhIjoiWTJselky…In0.Q858q9jcsR236sa…',
    maxLength: 1024,
  })
  @IsOptional()
  @MaxLength(1024, { message: 'cursor is too long' })
  @Matches(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, { message: 'cursor must be a nextCursor this API gave' })
  cursor?: string;
}

export class SpaceParamsDto {
  @ApiProperty({
    description: 'A space id, as `GET /api/v1/spaces` gives it.',
    example: 'Y2lzY29zcGFyazovL3VzL1JPT00vYmJjZWIxYWQtNDNmMS0zYjU4LTkxNDctZjE0YmIwYzRkMTU0',
    pattern: ROOM_ID_PATTERN.source,
  })
  @Matches(ROOM_ID_PATTERN, { message: 'roomId must be a Webex space id (base64 text)' })
  roomId!: string;
}

export class FeatureDto {
  @ApiProperty({ example: 'spaces', description: 'Stable key of the feature.' })
  key!: string;

  @ApiProperty({ example: 'The spaces list' })
  label!: string;

  @ApiProperty({ description: 'Whether the integration grants every scope the feature needs.' })
  available!: boolean;

  @ApiProperty({ type: [String], example: [], description: 'Scopes to add to the integration to turn it on.' })
  missingScopes!: string[];
}

export class SessionDto {
  @ApiProperty({ example: true })
  signedIn!: boolean;

  @ApiPropertyOptional({ example: 'Alice Sandbox', description: 'Present when signed in.' })
  displayName?: string;

  @ApiPropertyOptional({
    example: 'Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ',
    description: 'Login with Webex: the verified id_token’s subject; present when signed in with it.',
  })
  sub?: string;

  @ApiPropertyOptional({
    example: 'alice@example.com',
    description:
      'Login with Webex: the email the id_token (or UserInfo) gave; present when signed in with the email scope.',
  })
  email?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-04T23:00:00.000Z',
    description: 'When the sign-in ends at the latest (absolute timeout); present when signed in.',
  })
  expiresAt?: string;

  @ApiProperty({ example: 1800, type: 'integer', description: 'A session unused for this long ends sooner.' })
  idleTimeoutSeconds!: number;

  @ApiProperty({ type: [FeatureDto], description: 'What this integration’s scopes allow.' })
  features!: FeatureDto[];
}

export class MeDto {
  @ApiProperty({ example: 'Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ' })
  id!: string;

  @ApiProperty({ example: 'Alice Sandbox' })
  displayName!: string;

  @ApiProperty({ type: [String], example: ['alice@example.com'] })
  emails!: string[];

  @ApiPropertyOptional({ example: 'https://avatar.example.com/alice.png' })
  avatar?: string;
}

export class SpaceDto {
  @ApiProperty({ example: 'Y2lzY29zcGFyazovL3VzL1JPT00vYmJjZWIxYWQ' })
  id!: string;

  @ApiProperty({ example: 'Release Planning' })
  title!: string;

  @ApiProperty({ enum: ['direct', 'group'], example: 'group' })
  type!: 'direct' | 'group';

  @ApiProperty({ example: false })
  isLocked!: boolean;

  @ApiPropertyOptional({ example: '2026-12-04T10:15:00.000Z', description: 'As Webex gives it (normally ISO 8601).' })
  lastActivity?: string;

  @ApiPropertyOptional({ example: '2026-01-10T08:00:00.000Z', description: 'As Webex gives it (normally ISO 8601).' })
  created?: string;
}

export class SpacesPageDto {
  @ApiProperty({ type: [SpaceDto], description: 'Newest activity first.' })
  items!: SpaceDto[];

  @ApiPropertyOptional({
    description: 'Pass as `cursor` for the next page; absent on the last page.',
    example: 'eyJ2IjoxLCJhIjoiWTJselky…In0.Q858q9jcsR236sa…',
  })
  nextCursor?: string;

  @ApiProperty({
    example: false,
    description: 'True when the person has more spaces than the service reads from Webex (WEBEX_LIST_LIMIT).',
  })
  truncated!: boolean;
}

export class MemberDto {
  @ApiPropertyOptional({ example: 'Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ' })
  personId?: string;

  @ApiProperty({ example: 'Alice Sandbox' })
  displayName!: string;

  @ApiPropertyOptional({ example: 'alice@example.com' })
  email?: string;

  @ApiProperty({ example: true })
  isModerator!: boolean;
}

export class MembersDto {
  @ApiProperty({ type: [MemberDto] })
  items!: MemberDto[];

  @ApiProperty({ example: false, description: 'True when the space has more people than the service reads.' })
  truncated!: boolean;
}

export class SpaceDetailsDto {
  @ApiProperty({ type: SpaceDto })
  space!: SpaceDto;

  @ApiProperty({ type: MembersDto })
  members!: MembersDto;
}

export class FieldErrorDto {
  @ApiProperty({ example: 'limit' })
  field!: string;

  @ApiProperty({ example: 'limit must be at most 100' })
  message!: string;
}

/** RFC 9457 problem details, with this service's extension members. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:webex-oauth-service:problem:401-not-signed-in' })
  type!: string;

  @ApiProperty({ example: 'Not signed in' })
  title!: string;

  @ApiProperty({ example: 401, type: 'integer' })
  status!: number;

  @ApiProperty({ example: 'Please sign in first.' })
  detail!: string;

  @ApiProperty({ example: '/api/v1/me' })
  instance!: string;

  @ApiPropertyOptional({ example: 'f3b1c2d4e5', description: 'Quote it to support: it finds the request in the log.' })
  requestId?: string;

  @ApiPropertyOptional({
    example: 'ROUTER_6750A1B2-1234-5678-9ABC-DEF012345678',
    description: 'Webex’s id for the failed call, when Webex answered.',
  })
  trackingId?: string;

  @ApiPropertyOptional({
    example: 7,
    type: 'integer',
    description: 'Seconds to wait before trying again (also in Retry-After).',
  })
  retryAfter?: number;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'For 400: each refused field.' })
  errors?: FieldErrorDto[];
}
