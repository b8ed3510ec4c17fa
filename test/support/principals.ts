import type { Principal } from '../../src/domain/principal';

export const alice: Principal = { keyId: 'k-alice', name: 'alice', role: 'responder' };
export const maria: Principal = { keyId: 'k-maria', name: 'maria', role: 'manager' };
