import { Module } from '@nestjs/common';
import { AuthModule } from '../auth';
import { TeamsController } from './teams.controller';

/** Webex teams: the list of the signed-in person's teams (/teams). */
@Module({
  imports: [AuthModule],
  controllers: [TeamsController],
})
export class TeamsModule {}
