import { Module } from '@nestjs/common';
import { SandboxModeService } from './sandbox-mode.service';

@Module({ providers: [SandboxModeService] })
export class SandboxModeModule {}
