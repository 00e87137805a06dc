/** Every figure of issue 7, in the order `npm run bench` runs them. */
import { autoscaleFigure } from './autoscale.js';
import type { Figure } from './bench-context.js';
import { dispatchFigure } from './dispatch.js';
import { fleetFigure } from './fleet.js';
import { pingFigure } from './ping.js';
import { recoveryFigure } from './recovery.js';
import { scaleFigure } from './scale.js';
import { zinitFigure } from './zinit.js';

export const FIGURES: Figure[] = [
  recoveryFigure,
  pingFigure,
  dispatchFigure,
  autoscaleFigure,
  scaleFigure,
  zinitFigure,
  fleetFigure,
];
