import { Module } from '@nestjs/common';
import { AuthModule } from '../auth';
import { SpaceController } from './space.controller';
import { SpacesController } from './spaces.controller';

/** Webex spaces: the list (/listrooms) and one space's page (/spaces/{roomId}). */
@Module({
  imports: [AuthModule],
  controllers: [SpacesController, SpaceController],
})
export class SpacesModule {}
