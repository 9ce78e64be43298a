import { ConfigValidationError } from './env.validation';
import { loadApiConfiguration } from './api.config';

describe(loadApiConfiguration.name, () => {
  it.each([
    ['unset', undefined, []],
    ['empty', ' ', []],
    ['one origin', 'https://app.example.com', ['https://app.example.com']],
    [
      'a list, spaced, with a repeat',
      'https://a.example, http://localhost:3000,https://a.example',
      ['https://a.example', 'http://localhost:3000'],
    ],
  ])('reads API_CORS_ORIGINS %s', (_name, value, origins) => {
    expect(loadApiConfiguration({ API_CORS_ORIGINS: value }).corsOrigins).toEqual(origins);
  });

  it.each(['*', 'https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'ftp://x.example'])(
    'refuses %s, by position and never by value',
    (value) => {
      const attempt = () => loadApiConfiguration({ API_CORS_ORIGINS: `https://ok.example,${value}` });

      expect(attempt).toThrow(ConfigValidationError);
      expect(attempt).toThrow(/API_CORS_ORIGINS entry 2 must be an origin/);
    },
  );
});
