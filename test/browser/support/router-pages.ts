import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, RENDER_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import { findSeedUser, listRooms, type SeedUserHandle } from '../../../src/sandbox/seed-data';

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? (value as string[]) : [typeof value === 'string' ? value : ''];

/**
 * Every GET route the app answers with a page (a handler with @Render), as Nest registered it,
 * `:name` for a parameter. A new page is in the browser suites' walk without naming it there.
 */
export function renderedRoutes(app: INestApplication): string[] {
  const routes = app
    .get(DiscoveryService, { strict: false })
    .getControllers()
    .flatMap(({ metatype, instance }) => {
      if (!metatype || !instance) return [];
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      return Object.getOwnPropertyNames(prototype).flatMap((name) => {
        const handler = prototype[name];
        if (typeof handler !== 'function' || !Reflect.hasMetadata(RENDER_METADATA, handler)) return [];
        if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.GET) return [];
        return asList(Reflect.getMetadata(PATH_METADATA, metatype)).flatMap((prefix) =>
          asList(Reflect.getMetadata(PATH_METADATA, handler)).map((path) =>
            `/${prefix}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1'),
          ),
        );
      });
    });
  return [...new Set(routes)].sort();
}

/**
 * The values a route parameter takes for a seeded person: every one of theirs. A person with more
 * spaces than a page shows (Carol, 2,600) is walked through a fixed spread of them: the first ten
 * and every 250th. A parameter this does not know fails the walk, naming it.
 */
export function parameterValues(handle: SeedUserHandle, name: string): string[] {
  const user = findSeedUser(handle);
  if (!user) throw new Error(`no seeded person ${handle}`);
  if (name === 'roomId') {
    const ids = listRooms(user, 'lastactivity', undefined, undefined).map((room) => room.id);
    return ids.length <= 50 ? ids : ids.filter((_, index) => index < 10 || index % 250 === 0);
  }
  throw new Error(`the page walk has no values for the route parameter :${name}: add them in router-pages.ts`);
}

/** A route's concrete paths for a person: one per value of its parameter (routes have at most one). */
export function pathsOf(route: string, handle: SeedUserHandle): string[] {
  const parameter = /:(\w+)/.exec(route)?.[1];
  if (!parameter) return [route];
  return parameterValues(handle, parameter).map((value) => route.replace(`:${parameter}`, encodeURIComponent(value)));
}
