/**
 * The cold-start reference: an empty Nest app on the service's platform (@nestjs/platform-express),
 * one controller answering GET /. `npm run bench` builds it to JavaScript (bench/tsconfig.build.json)
 * and starts it with start:prod's Node flags; like the service (src/compile-cache.ts) it turns
 * Node's module compile cache on before Nest is loaded.
 *
 * Run as node bench/out/build/bench/empty-app.js PORT.
 */
import { enableCompileCache } from 'node:module';
enableCompileCache();
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller()
class HomeController {
  @Get()
  home(): string {
    return 'Hello';
  }
}

@Module({ controllers: [HomeController] })
class EmptyModule {}

void NestFactory.create(EmptyModule, { logger: false }).then((app) => app.listen(Number(process.argv[2]), '127.0.0.1'));
