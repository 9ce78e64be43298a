export * from './metrics';
export { MetricsModule } from './metrics.module';
