// The reference for cold start (bench/run.ts): an empty Nest app on the same platform as the
// service, built and started the same way (its nest-cli.json mirrors the service's builder).
import '../../src/compile-cache';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

@Controller()
class AppController {
  @Get()
  hello(): string {
    return 'Hello World!';
  }
}

@Module({ controllers: [AppController] })
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule);
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '::');
}
void bootstrap();
