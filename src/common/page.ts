import {
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  Header,
  Injectable,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';

const PAGE_TITLE = 'page:title';

/** What the layout (views/layouts/main.hbs) needs on every page, whatever the handler returns. */
export interface PageLocals {
  title: string;
  signedIn: boolean;
  /** For the navigation's aria-current. */
  currentPath: string;
}

export function pageLocals(req: Request, title: string): PageLocals {
  const session = req.session as Partial<Request['session']> | undefined;
  return { title, signedIn: Boolean(session?.user && session.grantId), currentPath: req.path };
}

/**
 * Marks a handler as a page with this title: PageInterceptor gives its view the layout's common
 * fields, so the handler returns only its own data. Pages are personal, so never cached.
 * Use with `@Render(view)`, or `res.render(view, data)` when the view depends on the request.
 */
export function Page(title: string): MethodDecorator {
  return applyDecorators(SetMetadata(PAGE_TITLE, title), Header('Cache-Control', 'no-store'));
}

/**
 * Puts the common fields on `res.locals`, which Express merges into every render; a handler's
 * own field of the same name (a title that depends on the data) wins.
 */
@Injectable()
export class PageInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const title = this.reflector.get<string | undefined>(PAGE_TITLE, context.getHandler());
    if (title !== undefined) {
      const http = context.switchToHttp();
      Object.assign(http.getResponse<Response>().locals, pageLocals(http.getRequest<Request>(), title));
    }
    return next.handle();
  }
}
