import type { WebexCall } from '../webex';

export const FEATURE = 'webex:feature';
/** On a handler of a controller that serves several features: which one it belongs to. */
export const FEATURE_OF = 'webex:feature-of';

/** A part of the service that calls Webex, and so needs the scopes of the calls it makes. */
export interface FeatureOptions {
  /** Its name in views (`features.<key>`) and in the start-up log. */
  key: string;
  /** What a person calls it. */
  label: string;
  /** The Webex calls it makes: the integration must grant each one's scope. */
  calls: readonly WebexCall[];
  /** Scopes it needs that no REST call declares (Login with Webex's `openid`). */
  scopes?: readonly string[];
  /** Scopes it asks for when the integration grants them, and does without otherwise (`email`, `profile`). */
  optionalScopes?: readonly string[];
  /** The service is of no use without it: a missing scope stops start-up instead. */
  required?: boolean;
  /** Its entry in the header's navigation, shown to a signed-in person while the feature is on. */
  nav?: NavEntry;
}

export interface NavEntry {
  label: string;
  href: string;
}

/** A navigation entry as views get it: `key` is what a view names as its `nav`. */
export interface NavLink extends NavEntry {
  key: string;
}

export interface FeatureState {
  key: string;
  label: string;
  scopes: string[];
  /** Scopes the integration does not grant; empty when the feature is on. */
  missingScopes: string[];
  available: boolean;
  required: boolean;
}
