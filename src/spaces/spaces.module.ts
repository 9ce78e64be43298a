import { Module } from '@nestjs/common';
import { AuthModule } from '../auth';
import { WebexModule } from '../webex';
import { SpacesController } from './spaces.controller';

@Module({
  imports: [AuthModule, WebexModule],
  controllers: [SpacesController],
})
export class SpacesModule {}
