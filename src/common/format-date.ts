import { LRUCache } from 'lru-cache';
// Not the session barrel: the bench's floor renders dates with this function and loads no more than it needs.
import { atMostEntries } from '../session/lru-bound';

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** A timestamp as a page shows it: the ISO form for `<time datetime>`, and words for people. */
export interface FormattedDate {
  iso: string;
  label: string;
}

/** Formatting dates is the costliest part of a list row; the same timestamps come back on every visit. */
const formattedDates = new LRUCache<string, FormattedDate>(atMostEntries(20_000));

/** Undefined for a value that is not a date: the page shows none rather than a wrong one. */
export function formatDate(value: string | undefined): FormattedDate | undefined {
  if (value === undefined) return undefined;
  const known = formattedDates.get(value);
  if (known) return known;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  const formatted = { iso: date.toISOString(), label: `${dateFormat.format(date)} UTC` };
  formattedDates.set(value, formatted);
  return formatted;
}
