export type {
  EmulatorClient,
  EmulatorControls,
  EmulatorOptions,
  EmulatorRoute,
  EmulatorStats,
  FaultSpec,
  IssuedTokens,
  SeedUserSummary,
  WebexEmulator,
} from './emulator.types';
export { SEED_USER_HANDLES } from './seed-data';
export { startWebexEmulator } from './webex-emulator';
