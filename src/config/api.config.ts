import { registerAs } from '@nestjs/config';
import { ConfigValidationError } from './env.validation';

/** The JSON API's own settings (src/api), kept apart from the pages' so the feature owns them. */
export interface ApiConfiguration {
  /**
   * Origins (scheme://host[:port]) whose pages may call the API with the session cookie (CORS
   * with credentials). Empty: CORS is off, and only the service's own pages may call it.
   */
  corsOrigins: string[];
}

/** Pure, so a unit spec can feed it any environment; throws one error naming every bad entry. */
export function loadApiConfiguration(source: Record<string, string | undefined>): ApiConfiguration {
  const raw = source.API_CORS_ORIGINS?.trim() ?? '';
  const entries = raw === '' ? [] : raw.split(',').map((entry) => entry.trim());
  const problems: string[] = [];
  const corsOrigins = entries.flatMap((entry, index) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    // An origin and nothing else: a path or a wildcard would not match what browsers send in Origin.
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry) {
      problems.push(
        `API_CORS_ORIGINS entry ${index + 1} must be an origin such as https://app.example.com (scheme, host and port only, no path, no *)`,
      );
      return [];
    }
    return [url.origin];
  });
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return { corsOrigins: [...new Set(corsOrigins)] };
}

// Read when an app is created (not when this file is imported), like the other namespaces.
export const apiConfig = registerAs('api', () => loadApiConfiguration(process.env));
