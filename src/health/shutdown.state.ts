import { Injectable } from '@nestjs/common';

/** Set when a shutdown signal arrives, so readiness fails while in-flight requests finish. */
@Injectable()
export class ShutdownState {
  shuttingDown = false;
}
