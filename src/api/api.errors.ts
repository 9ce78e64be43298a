/** A query or path parameter the API refuses, by name: answered 400 with each field and why. */
export class InvalidInputError extends Error {
  constructor(readonly fields: readonly { field: string; message: string }[]) {
    super(`Invalid input: ${fields.map((f) => f.field).join(', ')}`);
    this.name = 'InvalidInputError';
  }
}
