import type { RedisOptions } from 'ioredis';

/**
 * What REDIS_URL says besides where: user, password and database. With Sentinel or Cluster the
 * servers are found through REDIS_SENTINELS or REDIS_CLUSTER_NODES, but they ask for the same
 * credentials, so REDIS_URL gives them in every shape (its host and port serve one server only).
 * Throws on a URL that cannot be read.
 */
export function redisCredentialsOf(redisUrl: string): Pick<RedisOptions, 'username' | 'password' | 'db'> {
  const url = new URL(redisUrl);
  const database = url.pathname.slice(1);
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(database && database !== '0' ? { db: Number(database) } : {}),
  };
}
