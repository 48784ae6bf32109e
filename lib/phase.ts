/**
 * The one phase numbering of the app: an index 0..2 — grid phase L1..L3, or a charger's phase 1..3 (a
 * charger's phase map says which grid phase each of its phases is on). Names ('L1'), capability
 * suffixes ('.l1') and the 1..3 of protocols are made or read only at the edges, with these helpers.
 */
export type PhaseIndex = 0 | 1 | 2;
export const PHASES: readonly PhaseIndex[] = [0, 1, 2];

/** A grid phase as people (settings, events, flow tokens) name it. */
export type GridPhase = 'L1' | 'L2' | 'L3';
export const GRID_PHASES: readonly GridPhase[] = ['L1', 'L2', 'L3'];

export function phaseName(p: PhaseIndex): GridPhase {
  return GRID_PHASES[p];
}

export function phaseIndexOf(name: GridPhase): PhaseIndex {
  return GRID_PHASES.indexOf(name) as PhaseIndex;
}
