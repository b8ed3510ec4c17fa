import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as OidcProviderModule from 'oidc-provider';

/** The console's client at the dev provider. */
export const DEV_OIDC_CLIENT_ID = 'firebreak-console';
/** Every demo user's password. Development only: this provider is for `make up` and the tests. */
export const DEV_OIDC_PASSWORD = 'firebreak';

interface DemoUser {
  name: string;
  email: string;
  groups: string[];
  /** How the user "authenticated": a second factor for the ones who would have one. */
  amr: string[];
}

/** One demo user per role (and the CISO, a manager who authenticates with a second factor). */
export const DEV_OIDC_USERS: Readonly<Record<string, DemoUser>> = {
  responder: { name: 'Rory Responder', email: 'responder@firebreak.test', groups: ['firebreak-responders'], amr: ['pwd'] },
  manager: { name: 'Morgan Manager', email: 'manager@firebreak.test', groups: ['firebreak-managers'], amr: ['pwd', 'otp'] },
  ciso: { name: 'Casey CISO', email: 'ciso@firebreak.test', groups: ['firebreak-managers'], amr: ['pwd', 'otp'] },
  auditor: { name: 'Alex Auditor', email: 'auditor@firebreak.test', groups: ['firebreak-auditors'], amr: ['pwd'] },
  admin: { name: 'Ada Admin', email: 'admin@firebreak.test', groups: ['firebreak-admins'], amr: ['pwd'] },
  integration: { name: 'Ira Integration', email: 'integration@firebreak.test', groups: ['firebreak-integrations'], amr: ['pwd'] },
};

export interface DevOidcProviderOptions {
  /** The API's origin: the console client's redirect URI is <api>/auth/callback. */
  apiUrl: string;
  host?: string;
  /** 0: any free port. */
  port: number;
}

export interface DevOidcProvider {
  /** `http://<host>:<port>`, which FIREBREAK_OIDC_ISSUER would be. */
  issuer: string;
  clientId: string;
  close(): Promise<void>;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, error?: string, username = ''): string {
  const users = Object.keys(DEV_OIDC_USERS).join(', ');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in - Firebreak development identity provider</title></head>
<body>
<main>
<h1>Sign in to Firebreak</h1>
<p>Development identity provider. Demo users: ${escapeHtml(users)}; the password is <code>${DEV_OIDC_PASSWORD}</code>.</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${encodeURIComponent(uid)}/login">
<p><label for="username">Username</label><br><input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(username)}"></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
</main>
</body>
</html>`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(text);
}

/**
 * oidc-provider is an ES module (and says Node 22 is its supported runtime; it works on 20 and
 * warns once). Loaded when the provider starts, never by jest suites that import the dev stack's
 * helpers.
 */
const loadOidcProvider = (): Promise<typeof OidcProviderModule> => import('oidc-provider');

/**
 * A local OpenID provider for `make up` and the tests: oidc-provider with the console's client
 * (authorization code, PKCE required, public), the demo users, a login page of its own and
 * implicit consent for the console. Its signing key and cookie keys are new at every start, so
 * its sessions end when it stops; the API's sessions do not depend on it once signed in.
 */
export async function startDevOidcProvider(options: DevOidcProviderOptions): Promise<DevOidcProvider> {
  const { Provider } = await loadOidcProvider();
  const host = options.host ?? '127.0.0.1';
  const apiOrigin = new URL(options.apiUrl).origin;

  // Listen first: the issuer URL holds the port, which may be chosen by the system.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler(req, res));
  server.listen(options.port, host);
  await once(server, 'listening');
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEV_OIDC_CLIENT_ID,
        client_name: 'Firebreak console',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [`${apiOrigin}/auth/callback`],
        post_logout_redirect_uris: [`${apiOrigin}/console/`],
        require_auth_time: true,
      },
    ],
    jwks: { keys: [{ ...signingKey, kid: `dev-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Claims of the requested scopes go into the ID token itself, which is what the API reads.
    conformIdTokenClaims: false,
    // amr (how the user authenticated) reaches the ID token only as a claim of a requested scope.
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub', 'amr'],
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'profile', 'email'],
    async findAccount(_ctx, id) {
      const user = DEV_OIDC_USERS[id];
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, name: user.name, preferred_username: id, email: user.email, email_verified: true, groups: user.groups }),
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The console is this provider's own first-party client: no consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (ctx.oidc.client?.clientId !== DEV_OIDC_CLIENT_ID || !ctx.oidc.session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: DEV_OIDC_CLIENT_ID, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out of the development identity provider?', `${form}<p><button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button> <button type="submit" form="op.logoutForm">No, stay signed in</button></p>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', `<p><a href="${escapeHtml(apiOrigin)}/console/">Back to the console</a></p>`);
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`);
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
  });
  const callback = provider.callback();

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined) => {
    // The login form's page: its own markup, no script, and forms that go only here and to the API.
    res.setHeader('Content-Security-Policy', `default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' ${apiOrigin}`);
    res.setHeader('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (details.prompt.name === 'consent') {
      // Reached only when a grant could not be made above: grant what was asked.
      const grant = new provider.Grant({ clientId: String(details.params.client_id), accountId: details.session!.accountId });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    }
    if (req.method === 'GET' && action === undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(loginPage(uid));
      return;
    }
    if (req.method !== 'POST' || action !== 'login') {
      res.writeHead(405, { 'Content-Type': 'text/plain' }).end('method not allowed');
      return;
    }
    const form = await formBody(req);
    const username = (form.get('username') ?? '').trim();
    const user = DEV_OIDC_USERS[username];
    if (!user || form.get('password') !== DEV_OIDC_PASSWORD) {
      res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' }).end(loginPage(uid, 'Unknown user or wrong password.', username));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: username, amr: user.amr, remember: false } }, { mergeWithLastSubmission: false });
  };

  handler = (req, res) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/([a-z]+))?\/?(?:\?.*)?$/.exec(req.url ?? '');
    if (!match) return callback(req, res);
    interaction(req, res, match[1]!, match[2]).catch((err: unknown) => {
      if (res.headersSent) return res.end();
      res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' }).end(page('Sign-in error', `<p>${escapeHtml(err instanceof Error ? err.message : String(err))}</p><p>Start again from the console.</p>`));
    });
  };

  return {
    issuer,
    clientId: DEV_OIDC_CLIENT_ID,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Run on its own (`node dist/src/stack/dev-oidc-provider.js`): the provider for an API at
 * FIREBREAK_API_URL, on OIDC_PORT (8091 by default). Prints one JSON line when ready.
 */
if (require.main === module) {
  const env = process.env;
  startDevOidcProvider({ apiUrl: env.FIREBREAK_API_URL ?? 'http://127.0.0.1:8080', host: env.OIDC_HOST ?? '127.0.0.1', port: Number(env.OIDC_PORT ?? 8091) }).then(
    (provider) => {
      console.log(JSON.stringify({ issuer: provider.issuer, clientId: provider.clientId, ready: true }));
      const stop = () => void provider.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: unknown) => {
      console.error('the development OpenID provider failed to start:', err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
