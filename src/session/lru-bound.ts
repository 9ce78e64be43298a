/**
 * lru-cache options for a cache of at most `max` entries that grows as it fills. Given `max`,
 * lru-cache allocates its arrays for every entry up front: with SESSION_MEMORY_MAX=100,000 that
 * was ~4 MB of RSS for each of the two caches that size, and ~20 ms of start-up in all, for
 * sessions nobody has started yet (bench/RESULTS.md). A total size of one per entry is the same bound without the preallocation.
 */
export function atMostEntries(max: number): { maxSize: number; sizeCalculation: () => number } {
  return { maxSize: max, sizeCalculation: () => 1 };
}
