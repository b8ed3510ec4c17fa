import { Router, type Request } from 'express';
import { AlertSchema } from '../domain/alert-schema';
import {
  AcknowledgeSchema,
  AssessmentSchema,
  ClosureSchema,
  ContainmentApprovalSchema,
  EscalationSchema,
  NoteSchema,
  ReviewSchema,
  RoleAssignmentSchema,
  RoleParamSchema,
} from '../domain/decision-schemas';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  approveContainmentUpdate,
  assessUpdate,
  assignRoleUpdate,
  closeUpdate,
  escalateUpdate,
  recordReviewUpdate,
} from '../workflows/messages';
import { allow, principalOf } from './auth';
import type { IncidentDecisions } from './incident-decisions';
import type { Intake } from './intake';
import { HttpProblem } from './problem';
import { incidentIdParam, parseBody } from './validate';

const READERS = ['responder', 'manager', 'auditor', 'admin'] as const;

function roleParam(req: Request) {
  const parsed = RoleParamSchema.safeParse(req.params.role);
  if (!parsed.success) {
    throw new HttpProblem(404, 'not-found', 'Not found', `no incident role ${String(req.params.role)}; roles: ${RoleParamSchema.options.join(', ')}`, {
      errors: [{ field: 'role', message: 'unknown incident role' }],
    });
  }
  return parsed.data;
}

export function v1Routes(deps: { intake: Intake; decisions: IncidentDecisions }): Router {
  const router = Router();
  const { decisions } = deps;

  router.post('/alerts', allow('integration'), async (req, res) => {
    res.status(202).json(await deps.intake.receive(parseBody(AlertSchema, req)));
  });

  router.post('/incidents', allow('manager'), async (req, res) => {
    res.status(202).json(await deps.intake.receive(parseBody(AlertSchema, req)));
  });

  router.get('/incidents/:id', allow(...READERS), async (req, res) => {
    res.json(await decisions.state(incidentIdParam(req)));
  });

  router.post('/incidents/:id/acknowledge', allow('responder', 'manager'), async (req, res) => {
    const id = incidentIdParam(req);
    res.json(await decisions.decide(id, acknowledgeUpdate, parseBody(AcknowledgeSchema, req), principalOf(req)));
  });

  router.post('/incidents/:id/assessment', allow('manager'), async (req, res) => {
    const id = incidentIdParam(req);
    res.json(await decisions.decide(id, assessUpdate, parseBody(AssessmentSchema, req), principalOf(req)));
  });

  router.post('/incidents/:id/containment/approval', allow('manager'), async (req, res) => {
    const id = incidentIdParam(req);
    res.json(await decisions.decide(id, approveContainmentUpdate, parseBody(ContainmentApprovalSchema, req), principalOf(req)));
  });

  router.put('/incidents/:id/roles/:role', allow('manager'), async (req, res) => {
    const id = incidentIdParam(req);
    const role = roleParam(req);
    const { person } = parseBody(RoleAssignmentSchema, req);
    res.json(await decisions.decide(id, assignRoleUpdate, { role, person }, principalOf(req)));
  });

  router.post('/incidents/:id/escalations', allow('responder', 'manager'), async (req, res) => {
    const id = incidentIdParam(req);
    res.json(await decisions.decide(id, escalateUpdate, parseBody(EscalationSchema, req), principalOf(req)));
  });

  router.post('/incidents/:id/notes', allow('responder', 'manager'), async (req, res) => {
    const id = incidentIdParam(req);
    res.json(await decisions.decide(id, addNoteUpdate, parseBody(NoteSchema, req), principalOf(req)));
  });

  router.post('/incidents/:id/review', allow('manager'), async (req, res) => {
    const id = incidentIdParam(req);
    res.json(await decisions.decide(id, recordReviewUpdate, parseBody(ReviewSchema, req), principalOf(req)));
  });

  router.post('/incidents/:id/close', allow('manager'), async (req, res) => {
    const id = incidentIdParam(req);
    res.json(await decisions.decide(id, closeUpdate, parseBody(ClosureSchema, req), principalOf(req)));
  });

  return router;
}
