import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDto } from './api.dto';
import { PROBLEM_CONTENT_TYPE } from './api-problem.filter';

const MEANINGS: Record<number, string> = {
  400: 'A query or path parameter is not valid; `errors` names each one.',
  401: 'Not signed in, or the Webex sign-in ended (refresh refused): sign in again at /login.',
  403: 'Refused: sent from another site, a feature the integration lacks a scope for, or Webex refused.',
  404: 'Webex has no such space for this person.',
  429: 'Webex asked to slow down: wait Retry-After seconds.',
  502: 'Webex failed, timed out or sent an unreadable answer.',
  503: 'Sessions or the sign-in renewal are briefly unavailable: wait Retry-After seconds.',
};

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
};

/** Documents the problem+json answers an operation can give, with the header 429 and 503 carry. */
export function ApiFailures(...statuses: (keyof typeof MEANINGS)[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: MEANINGS[status],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      }),
    ),
  );
}
