import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { InvalidInputError } from './api.errors';

/** Checks query and path DTOs; a refusal names each field (and only the first reason for each). */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    // Unknown query parameters are dropped, as the pages ignore them (a cache-buster `?_=…` is fine).
    whitelist: true,
    exceptionFactory: (errors: ValidationError[]) =>
      new InvalidInputError(
        errors.map((error) => ({
          field: error.property,
          message: Object.values(error.constraints ?? {})[0] ?? `${error.property} is not valid`,
        })),
      ),
  });
}
