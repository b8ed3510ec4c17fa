import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import type { DenialRegister } from '../db/denial-register';
import type { Principal } from '../domain/principal';
import { routePatterns } from './metrics';
import { HttpProblem } from './problem';
import { ROUTES } from './route-table';

/** The key id a bearer token names, if it has the shape of one (`fbk_<keyId>_<secret>`); whether the key exists is another matter. */
const KEY_ID_OF_TOKEN = /^Bearer fbk_([0-9a-f]{16})_/i;
const INCIDENT_ID = /^[0-9a-f]{16}$/;

export interface DeniedRequestsDependencies {
  register: DenialRegister;
  /** Whether the incident exists: refusals about incidents that do not are not anyone's record. */
  incidentExists: (incidentId: string) => Promise<boolean>;
  logger: Logger;
}

/**
 * Records refused requests about an existing incident in its audit chain, aggregated by
 * DenialRegister: 403s (the role may not) and 401s whose token names a known key (revoked, or a
 * wrong secret). Recording is part of the refusal: if the count cannot be written the request
 * fails like any other that cannot reach PostgreSQL. Appending closed windows is not: a failure
 * there is logged, and the next denial or the periodic flush appends them.
 */
export class DeniedRequests {
  private readonly routeOf = routePatterns(Object.values(ROUTES));

  constructor(private readonly deps: DeniedRequestsDependencies) {}

  /** For `allow()`: a 403 about the route's incident. */
  readonly forbidden = async (req: Request, principal: Principal): Promise<void> => {
    const incidentId = req.params.id;
    if (typeof incidentId !== 'string' || !INCIDENT_ID.test(incidentId)) return;
    await this.count(req, incidentId, { keyId: principal.keyId, actor: principal.name, actorRole: principal.role }, 403, `${req.method} ${req.route?.path ?? req.path}`);
  };

  /** After authentication: a 401 for a token naming a known key, about an incident route. */
  readonly unauthenticated: ErrorRequestHandler = (err, req, _res, next) => {
    if (!(err instanceof HttpProblem) || err.status !== 401) return next(err);
    const keyId = KEY_ID_OF_TOKEN.exec(req.get('authorization') ?? '')?.[1]?.toLowerCase();
    const path = req.originalUrl.split('?')[0] ?? '';
    const route = this.routeOf(req.method, path);
    const at = route?.split('/').indexOf(':id') ?? -1;
    const incidentId = at >= 0 ? path.split('/')[at] : undefined;
    if (!keyId || !route || !incidentId || !INCIDENT_ID.test(incidentId)) return next(err);
    this.deps.register
      .keyHolder(keyId)
      .then((holder) => (holder ? this.count(req, incidentId, { keyId, ...holder }, 401, `${req.method} ${route}`) : undefined))
      .then(
        () => next(err),
        (failure: unknown) => next(failure),
      );
  };

  private async count(req: Request, incidentId: string, who: { keyId: string; actor: string; actorRole: string }, status: 401 | 403, action: string): Promise<void> {
    if (!(await this.deps.incidentExists(incidentId))) return;
    await this.deps.register.count({ ...who, incidentId, action, status });
    await this.appendClosed(req);
  }

  private async appendClosed(req?: Request): Promise<void> {
    try {
      await this.deps.register.appendClosed();
    } catch (err) {
      this.deps.logger.warn({ requestId: req?.res?.locals.requestId, reason: err instanceof Error ? err.message : String(err) }, 'closed denial windows not appended yet');
    }
  }

  /** Appends closed windows every `everyMs` (unref'd: it never keeps the process up); stop it with the returned function. */
  appendPeriodically(everyMs: number): () => void {
    const timer = setInterval(() => void this.appendClosed(), everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
