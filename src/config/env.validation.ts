import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** `host:port,host:port`: hosts are names or IPv4 addresses (bracket-free), ports 1-65535. */
const HOST_PORT_LIST = /^[\w.-]+:\d{1,5}(\s*,\s*[\w.-]+:\d{1,5})*$/;

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

/** An optional whole number in a range; the message names the variable, the range and an example. */
function WholeNumber(name: string, min: number, max: number, example: number, unit = '') {
  const message = `${name} must be a whole number${unit} from ${min} to ${max}, e.g. ${name}=${example}`;
  return applyDecorators(
    IsOptional(),
    Type(() => Number),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
}

function OneOf(name: string, values: readonly string[]) {
  return applyDecorators(IsOptional(), IsIn(values, { message: `${name} must be one of ${values.join(', ')}` }));
}

function HttpUrl(name: string, example: string, hint = '') {
  return applyDecorators(
    IsOptional(),
    IsUrl(
      { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
      { message: `${name} must be an absolute http(s) URL, e.g. ${name}=${example}${hint}` },
    ),
  );
}

function Text(name: string, hint: string, minLength = 1) {
  return applyDecorators(IsOptional(), IsString(), MinLength(minLength, { message: `${name} ${hint}` }));
}

/**
 * The raw environment as the service reads it. Messages name the variable and how to fix it;
 * class-validator never puts the value in a message unless asked to, and none here does.
 */
export class EnvironmentVariables {
  @OneOf('NODE_ENV', ['development', 'production', 'test'])
  NODE_ENV?: string;

  @WholeNumber('PORT', 0, 65535, 8080)
  PORT?: number;

  @Text('HOST', 'must be an address to listen on, e.g. HOST=127.0.0.1')
  HOST?: string;

  @OneOf('LOG_LEVEL', LOG_LEVELS)
  LOG_LEVEL?: LogLevelName;

  @OneOf('LOG_FORMAT', ['json', 'pretty'])
  LOG_FORMAT?: 'json' | 'pretty';

  @IsOptional()
  @IsString()
  DEBUG?: string;

  @HttpUrl(
    'AUTH_INIT_URL',
    'https://webexapis.com/v1/authorize?client_id=…',
    ' (copy it from your integration’s page on developer.webex.com)',
  )
  AUTH_INIT_URL?: string;

  @Text('CLIENT_SECRET', 'must be the client secret of your Webex integration')
  CLIENT_SECRET?: string;

  @IsOptional()
  @IsString()
  STATE?: string;

  @HttpUrl('WEBEX_API_BASE_URL', 'https://webexapis.com/v1')
  WEBEX_API_BASE_URL?: string;

  /** Issuers of Webex id_tokens besides the discovery document's own (Webex's regional idbroker hosts). */
  @IsOptional()
  @Matches(/^https:\/\/[^\s,?#]+(\s*,\s*https:\/\/[^\s,?#]+)*$/, {
    message:
      'WEBEX_OIDC_ISSUERS must be a comma-separated list of https issuer URLs without query or fragment, e.g. WEBEX_OIDC_ISSUERS=https://idbroker-b-us.webex.com/idb',
  })
  WEBEX_OIDC_ISSUERS?: string;

  @WholeNumber('WEBEX_TIMEOUT_MS', 100, 120_000, 10_000, ' of milliseconds')
  WEBEX_TIMEOUT_MS?: number;

  @WholeNumber('WEBEX_CONNECT_TIMEOUT_MS', 50, 60_000, 3000, ' of milliseconds')
  WEBEX_CONNECT_TIMEOUT_MS?: number;

  @WholeNumber('WEBEX_RETRIES', 0, 5, 2)
  WEBEX_RETRIES?: number;

  @WholeNumber('WEBEX_RETRY_AFTER_MAX_WAIT_MS', 0, 60_000, 2000, ' of milliseconds')
  WEBEX_RETRY_AFTER_MAX_WAIT_MS?: number;

  @WholeNumber('WEBEX_PAGE_SIZE', 1, 1000, 1000)
  WEBEX_PAGE_SIZE?: number;

  @WholeNumber('WEBEX_LIST_LIMIT', 1, 100_000, 2000)
  WEBEX_LIST_LIMIT?: number;

  @Text('SESSION_SECRET', 'must be at least 32 characters long; generate one with: openssl rand -base64 48', 32)
  @MaxLength(4096, { message: 'SESSION_SECRET must be at most 4096 characters long' })
  SESSION_SECRET?: string;

  @IsOptional()
  @Matches(/^[^,]{32,}(,[^,]{32,})*$/, {
    message:
      'SESSION_PREVIOUS_SECRETS must be a comma-separated list of former SESSION_SECRET values (each ≥ 32 characters)',
  })
  SESSION_PREVIOUS_SECRETS?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9+/_-]{43}=?(,[A-Za-z0-9+/_-]{43}=?)*$/, {
    message:
      'TOKEN_ENCRYPTION_KEYS must be a comma-separated list of 32-byte keys in base64, newest first; generate one with: openssl rand -base64 32',
  })
  TOKEN_ENCRYPTION_KEYS?: string;

  @WholeNumber('SESSION_IDLE_TIMEOUT', 60, 31_536_000, 1800, ' of seconds')
  SESSION_IDLE_TIMEOUT?: number;

  @WholeNumber('SESSION_ABSOLUTE_TIMEOUT', 60, 31_536_000, 43_200, ' of seconds')
  SESSION_ABSOLUTE_TIMEOUT?: number;

  @WholeNumber('SESSION_MEMORY_MAX', 100, 10_000_000, 100_000, ' of sessions')
  SESSION_MEMORY_MAX?: number;

  @OneOf('SESSION_STORE', ['memory', 'redis'])
  SESSION_STORE?: 'memory' | 'redis';

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, {
    message: 'REDIS_URL must be a redis:// or rediss:// URL, e.g. REDIS_URL=redis://127.0.0.1:6379',
  })
  REDIS_URL?: string;

  @IsOptional()
  @Matches(/^[\w:.-]{1,64}$/, {
    message: 'REDIS_KEY_PREFIX must be 1-64 letters, digits or _ : . -, e.g. REDIS_KEY_PREFIX=wxo:',
  })
  REDIS_KEY_PREFIX?: string;

  @IsOptional()
  @Matches(HOST_PORT_LIST, {
    message:
      'REDIS_SENTINELS must be a comma-separated list of host:port, e.g. REDIS_SENTINELS=10.0.0.5:26379,10.0.0.6:26379',
  })
  REDIS_SENTINELS?: string;

  @IsOptional()
  @Matches(/^[\w.-]{1,64}$/, {
    message: 'REDIS_SENTINEL_MASTER must be the name the sentinels monitor, e.g. REDIS_SENTINEL_MASTER=mymaster',
  })
  REDIS_SENTINEL_MASTER?: string;

  @IsOptional()
  @Matches(HOST_PORT_LIST, {
    message:
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port, e.g. REDIS_CLUSTER_NODES=10.0.0.5:7000,10.0.0.6:7000',
  })
  REDIS_CLUSTER_NODES?: string;

  @WholeNumber('LOGIN_STATE_TTL', 30, 3600, 600, ' of seconds')
  LOGIN_STATE_TTL?: number;

  @WholeNumber('LOGIN_RATE_LIMIT', 0, 100_000, 30, ' of requests per minute (0 turns it off)')
  LOGIN_RATE_LIMIT?: number;

  @IsOptional()
  @Matches(
    /^(true|false|\d{1,2}|(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*)$/,
    {
      message:
        'TRUST_PROXY must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses/subnets (loopback, 10.0.0.0/8, …)',
    },
  )
  TRUST_PROXY?: string;

  @WholeNumber('SHUTDOWN_GRACE_MS', 0, 600_000, 10_000, ' of milliseconds')
  SHUTDOWN_GRACE_MS?: number;

  @Text('DEV_STATE_DIR', 'must be a folder path, e.g. DEV_STATE_DIR=.dev')
  DEV_STATE_DIR?: string;

  @WholeNumber('SANDBOX_PORT', 1, 65535, 8081)
  SANDBOX_PORT?: number;

  @WholeNumber('METRICS_PORT', 0, 65535, 9464)
  METRICS_PORT?: number;
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
