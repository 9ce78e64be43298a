import type { Response } from 'express';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

export interface ConsentPageUser {
  handle: string;
  displayName: string;
  email: string;
}

export interface ConsentPageModel {
  tx: string;
  clientId: string;
  scopes: readonly string[];
  users: readonly ConsentPageUser[];
}

const STYLE = `:root{color-scheme:light dark}
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b;background:#fff}
.notice{background:#fff4ce;color:#1b1b1b;border:1px solid #8a6d00;padding:.75rem 1rem;border-radius:.4rem}
fieldset{border:1px solid #767676;border-radius:.4rem;margin:1rem 0}label{display:block;padding:.25rem 0}
button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}code{background:#f1f1f1;color:#1b1b1b;padding:0 .25rem}
:focus-visible{outline:3px solid #0059c1;outline-offset:2px}
@media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#16181d}
.notice{background:#3b2a06;color:#fde68a;border-color:#f59e0b}fieldset{border-color:#9a9a9a}
code{background:#2a2d34;color:#e8e8e8}:focus-visible{outline-color:#7cb7ff}}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="description" content="Offline Webex emulator: choose a sandbox person and allow or decline the sign-in.">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="notice"><strong>Offline Webex emulator.</strong> This is a local sandbox standing in for Webex; it is not Webex. No real account is used and nothing leaves this machine.</p>
${body}
</main>
</body>
</html>
`;
}

export function consentPage(model: ConsentPageModel): string {
  const scopes = model.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('\n');
  const users = model.users
    .map(
      (user, i) =>
        `<label><input type="radio" name="user" value="${escapeHtml(user.handle)}"${i === 0 ? ' checked' : ''}> ` +
        `${escapeHtml(user.displayName)} &lt;${escapeHtml(user.email)}&gt;</label>`,
    )
    .join('\n');
  return layout(
    'Webex sandbox — sign in',
    `<h1>Webex sandbox — sign in</h1>
<p>The integration <code>${escapeHtml(model.clientId)}</code> asks for access to:</p>
<ul>
${scopes}
</ul>
<form method="post" action="/v1/authorize">
<input type="hidden" name="tx" value="${escapeHtml(model.tx)}">
<fieldset>
<legend>Sign in as a sandbox user</legend>
${users}
</fieldset>
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="decline">Decline</button>
</form>`,
  );
}

export function errorPage(message: string, trackingId: string): string {
  return layout(
    'Webex sandbox — error',
    `<h1>Webex sandbox — error</h1>
<p>${escapeHtml(message)}</p>
<p>Tracking id: <code>${escapeHtml(trackingId)}</code></p>`,
  );
}

/** What a 'non-json' fault answers: the kind of page a proxy or outage banner sends instead of JSON. */
export function outagePage(trackingId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service Unavailable</title></head>
<body><h1>Webex is temporarily unavailable</h1><p>Emulated non-JSON answer. Tracking id: ${escapeHtml(trackingId)}</p></body></html>
`;
}

const BASE_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * Sends a page with the headers a sign-in page needs. `formActionOrigin` is the redirect URI's
 * origin: browsers apply form-action to the redirect that follows the POST, so it must be allowed.
 */
export function sendHtml(res: Response, status: number, html: string, formActionOrigin?: string): void {
  const formAction = formActionOrigin ? `'self' ${formActionOrigin}` : "'none'";
  res
    .status(status)
    .set({
      'Content-Security-Policy': `${BASE_CSP}; form-action ${formAction}; frame-ancestors 'none'`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    })
    .type('html')
    .send(html);
}
