import { Module } from '@nestjs/common';
import { AuthModule } from '../auth';
import { WebexModule } from '../webex';
import { RoomsController } from './rooms.controller';

/** The spaces page: a Webex call behind the AuthGuard, as every page that calls Webex is built. */
@Module({
  imports: [AuthModule, WebexModule],
  controllers: [RoomsController],
})
export class RoomsModule {}
