import type { Notifier } from '../adapters/notifier';
import type { IncidentRepository } from '../db/incident-repository';
import { escalationNotification } from './escalation-notice';
import type { IncidentActivities } from './types';

export interface ActivityDependencies {
  incidents: IncidentRepository;
  notifier: Notifier;
}

export function createActivities(deps: ActivityDependencies): IncidentActivities {
  return {
    async recordIncident(state) {
      await deps.incidents.upsert(state);
    },
    async notify(notice) {
      await deps.notifier.send(escalationNotification(notice));
    },
  };
}
