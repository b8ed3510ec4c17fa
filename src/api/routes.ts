import { Router } from 'express';
import { AlertSchema, EmptyDecisionSchema } from '../domain/alert-schema';
import { allow, principalOf } from './auth';
import type { IncidentDecisions } from './incident-decisions';
import type { Intake } from './intake';
import { incidentIdParam, parseBody } from './validate';

const READERS = ['responder', 'manager', 'auditor', 'admin'] as const;

export function v1Routes(deps: { intake: Intake; decisions: IncidentDecisions }): Router {
  const router = Router();

  router.post('/alerts', allow('integration'), async (req, res) => {
    const alert = parseBody(AlertSchema, req);
    res.status(202).json(await deps.intake.receive(alert));
  });

  router.get('/incidents/:id', allow(...READERS), async (req, res) => {
    res.json(await deps.decisions.state(incidentIdParam(req)));
  });

  router.post('/incidents/:id/acknowledge', allow('responder', 'manager'), async (req, res) => {
    const id = incidentIdParam(req);
    parseBody(EmptyDecisionSchema, req);
    res.json(await deps.decisions.acknowledge(id, principalOf(req)));
  });

  return router;
}
