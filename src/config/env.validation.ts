import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** Thrown when the environment cannot run the service; its message lists every problem and never a value. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      [
        `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map((p) => `  - ${p}`),
        'See .env.example for every variable and its meaning.',
      ].join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const port = (name: string, example: number) =>
  `${name} must be a whole number from 0 to 65535, e.g. ${name}=${example}`;
const seconds = (name: string, example: number) =>
  `${name} must be a whole number of seconds, e.g. ${name}=${example}`;
const url = (name: string, example: string) =>
  `${name} must be an absolute http(s) URL, e.g. ${name}=${example}`;

/**
 * The raw environment as the service reads it. Messages name the variable and how to fix it;
 * class-validator never puts the value in a message unless asked to, and none here does.
 */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'], {
    message: 'NODE_ENV must be one of development, production or test',
  })
  NODE_ENV?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: port('PORT', 8080) })
  @Min(0, { message: port('PORT', 8080) })
  @Max(65535, { message: port('PORT', 8080) })
  PORT?: number;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'HOST must be an address to listen on, e.g. HOST=127.0.0.1' })
  HOST?: string;

  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevelName;

  @IsOptional()
  @IsString()
  DEBUG?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: url('AUTH_INIT_URL', 'https://webexapis.com/v1/authorize?client_id=…') + ' (copy it from your integration’s page on developer.webex.com)' },
  )
  AUTH_INIT_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'CLIENT_SECRET must be the client secret of your Webex integration' })
  CLIENT_SECRET?: string;

  @IsOptional()
  @IsString()
  STATE?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: url('WEBEX_API_BASE_URL', 'https://webexapis.com/v1') },
  )
  WEBEX_API_BASE_URL?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'WEBEX_TIMEOUT_MS must be a whole number of milliseconds from 100 to 120000, e.g. WEBEX_TIMEOUT_MS=10000' })
  @Min(100, { message: 'WEBEX_TIMEOUT_MS must be a whole number of milliseconds from 100 to 120000, e.g. WEBEX_TIMEOUT_MS=10000' })
  @Max(120_000, { message: 'WEBEX_TIMEOUT_MS must be a whole number of milliseconds from 100 to 120000, e.g. WEBEX_TIMEOUT_MS=10000' })
  WEBEX_TIMEOUT_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'ROOMS_PAGE_SIZE must be a whole number from 1 to 1000 (Webex’s limit), e.g. ROOMS_PAGE_SIZE=1000' })
  @Min(1, { message: 'ROOMS_PAGE_SIZE must be a whole number from 1 to 1000 (Webex’s limit), e.g. ROOMS_PAGE_SIZE=1000' })
  @Max(1000, { message: 'ROOMS_PAGE_SIZE must be a whole number from 1 to 1000 (Webex’s limit), e.g. ROOMS_PAGE_SIZE=1000' })
  ROOMS_PAGE_SIZE?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'ROOMS_LIMIT must be a whole number from 1 to 100000, e.g. ROOMS_LIMIT=2000' })
  @Min(1, { message: 'ROOMS_LIMIT must be a whole number from 1 to 100000, e.g. ROOMS_LIMIT=2000' })
  @Max(100_000, { message: 'ROOMS_LIMIT must be a whole number from 1 to 100000, e.g. ROOMS_LIMIT=2000' })
  ROOMS_LIMIT?: number;

  @IsOptional()
  @IsString()
  @MinLength(32, {
    message: 'SESSION_SECRET must be at least 32 characters long; generate one with: openssl rand -base64 48',
  })
  @MaxLength(4096, { message: 'SESSION_SECRET must be at most 4096 characters long' })
  SESSION_SECRET?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: seconds('SESSION_IDLE_TIMEOUT', 1800) })
  @Min(60, { message: `${seconds('SESSION_IDLE_TIMEOUT', 1800)} (at least 60)` })
  SESSION_IDLE_TIMEOUT?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: seconds('SESSION_ABSOLUTE_TIMEOUT', 43200) })
  @Min(60, { message: `${seconds('SESSION_ABSOLUTE_TIMEOUT', 43200)} (at least 60)` })
  SESSION_ABSOLUTE_TIMEOUT?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'SESSION_MEMORY_MAX must be a whole number of sessions, e.g. SESSION_MEMORY_MAX=100000' })
  @Min(100, { message: 'SESSION_MEMORY_MAX must be a whole number of sessions of at least 100, e.g. SESSION_MEMORY_MAX=100000' })
  SESSION_MEMORY_MAX?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: seconds('LOGIN_STATE_TTL', 600) })
  @Min(30, { message: `${seconds('LOGIN_STATE_TTL', 600)} (at least 30)` })
  @Max(3600, { message: `${seconds('LOGIN_STATE_TTL', 600)} (at most 3600)` })
  LOGIN_STATE_TTL?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: port('SANDBOX_PORT', 8081) })
  @Min(1, { message: port('SANDBOX_PORT', 8081).replace('from 0', 'from 1') })
  @Max(65535, { message: port('SANDBOX_PORT', 8081) })
  SANDBOX_PORT?: number;
}

/** Validates every variable at once, so one start-up reports every mistake. */
export function validateEnvironment(source: Record<string, string | undefined>): EnvironmentVariables {
  // Empty strings mean "unset": a .env copied from .env.example has many `NAME=` lines.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const env = plainToInstance(EnvironmentVariables, present, { excludeExtraneousValues: false });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  const problems = errors.flatMap((e) => Object.values(e.constraints ?? {}).slice(0, 1));
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return env;
}
