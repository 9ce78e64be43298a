import { redisCredentialsOf } from './redis-url';

describe('redisCredentialsOf (REDIS_URL’s user, password and database, for Sentinel and Cluster too)', () => {
  it('reads the password, the user and the database, percent-decoded', () => {
    expect(redisCredentialsOf('redis://app%40eu:p%2Fss%3Aw0rd@10.0.0.5:6379/4')).toEqual({
      username: 'app@eu',
      password: 'p/ss:w0rd',
      db: 4,
    });
    expect(redisCredentialsOf('rediss://:only-a-password@redis.internal')).toEqual({ password: 'only-a-password' });
  });

  it('gives nothing for a URL without credentials or with database 0', () => {
    expect(redisCredentialsOf('redis://127.0.0.1:6379')).toEqual({});
    expect(redisCredentialsOf('redis://127.0.0.1:6379/0')).toEqual({});
  });
});
