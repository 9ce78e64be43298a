import { z } from 'zod';

/*
 * Login with Webex (OpenID Connect): what the service reads of the discovery document (OpenID
 * Connect Discovery 1.0 §3) and of UserInfo (Core §5.3.2). Webex publishes no OpenAPI for
 * these; the fields are the standard's, and unknown ones are dropped.
 */

const httpUrl = z.url({ protocol: /^https?$/ });

export const OpenIdConfiguration = z.object({
  issuer: httpUrl,
  authorization_endpoint: httpUrl,
  token_endpoint: httpUrl,
  jwks_uri: httpUrl,
  userinfo_endpoint: httpUrl.optional(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  // Discovery §3: when left out, client_secret_basic is the default.
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  // RFC 9207 §3: when true, every authorization response carries `iss`.
  authorization_response_iss_parameter_supported: z.boolean().optional(),
});
export type OpenIdConfiguration = z.infer<typeof OpenIdConfiguration>;

export const UserInfo = z.object({
  sub: z.string().min(1),
  name: z.string().optional(),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
});
export type UserInfo = z.infer<typeof UserInfo>;

/** How the client proves itself at the token endpoint (RFC 6749 §2.3.1): Basic header, or the form. */
export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post';

/** Where and how tokens are asked for: Webex's `/access_token` with the form, or the discovery document's. */
export interface TokenEndpoint {
  url: string;
  auth: TokenEndpointAuth;
}
