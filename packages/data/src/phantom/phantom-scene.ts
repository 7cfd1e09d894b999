import type { SeededRandom } from '@umd/core';

/** The organs a phantom lesion can sit in (patient's left and right, as in radiology reports). */
export const phantomOrgans = ['left lung', 'right lung', 'heart', 'liver', 'spleen'] as const;
export type PhantomOrgan = (typeof phantomOrgans)[number];

/** The two synthetic modalities; they differ in contrast (see `renderPhantomScan`). */
export type PhantomModality = 'ct' | 'mri';

/** An axis-aligned ellipse in normalised image coordinates: x, y in [-1, 1], x to the image's right, y down. */
export interface Ellipse {
  readonly x: number;
  readonly y: number;
  readonly rx: number;
  readonly ry: number;
}

/** A lesion: where it is and how it looks. */
export interface PhantomLesion {
  readonly organ: PhantomOrgan;
  /** The patient's side (radiological convention: the patient's left is on the image's right). */
  readonly side: 'left' | 'right' | 'middle';
  readonly size: 'small' | 'large';
  /** Brighter or darker than the organ around it. */
  readonly brightness: 'bright' | 'dark';
  readonly shape: Ellipse;
}

/** Everything a phantom image shows: the ground truth its captions and answers are written from. Plain JSON. */
export interface PhantomScene {
  readonly modality: PhantomModality;
  readonly body: Ellipse;
  readonly organs: Readonly<Record<PhantomOrgan, Ellipse>>;
  readonly spine: Ellipse;
  readonly lesion: PhantomLesion | null;
}

/** Mean layout of an axial slice through the lung bases and upper abdomen, image-right = patient-left. */
const layout: Readonly<Record<PhantomOrgan | 'body' | 'spine', Ellipse>> = {
  body: { x: 0, y: 0.05, rx: 0.88, ry: 0.75 },
  'right lung': { x: -0.45, y: -0.25, rx: 0.25, ry: 0.3 },
  'left lung': { x: 0.45, y: -0.25, rx: 0.25, ry: 0.3 },
  heart: { x: 0, y: -0.2, rx: 0.17, ry: 0.17 },
  liver: { x: -0.4, y: 0.35, rx: 0.3, ry: 0.2 },
  spleen: { x: 0.45, y: 0.37, rx: 0.2, ry: 0.16 },
  spine: { x: 0, y: 0.45, rx: 0.09, ry: 0.09 },
};

const sides: Readonly<Record<PhantomOrgan, PhantomLesion['side']>> = {
  'left lung': 'left',
  'right lung': 'right',
  heart: 'middle',
  liver: 'right',
  spleen: 'left',
};

/**
 * Draws a random scene: modality (50/50), anatomy jittered around a fixed layout, and with probability
 * `lesionProbability` one lesion in a uniformly chosen organ (small or large, bright or dark, 50/50 each).
 */
export function samplePhantomScene(random: SeededRandom, lesionProbability: number): PhantomScene {
  const uniform = (low: number, high: number): number => low + (high - low) * random.next();
  const shift = { x: uniform(-0.03, 0.03), y: uniform(-0.03, 0.03) };
  const jitter = (ellipse: Ellipse, amount: number): Ellipse => ({
    x: ellipse.x + shift.x + uniform(-amount, amount),
    y: ellipse.y + shift.y + uniform(-amount, amount),
    rx: ellipse.rx * uniform(0.92, 1.08),
    ry: ellipse.ry * uniform(0.92, 1.08),
  });
  const modality: PhantomModality = random.next() < 0.5 ? 'ct' : 'mri';
  const body = jitter(layout.body, 0.01);
  const organs = Object.fromEntries(phantomOrgans.map((organ) => [organ, jitter(layout[organ], 0.03)])) as Record<PhantomOrgan, Ellipse>;
  const spine = jitter(layout.spine, 0.01);
  let lesion: PhantomLesion | null = null;
  if (random.next() < lesionProbability) {
    const organ = phantomOrgans[random.integer(phantomOrgans.length)]!;
    const size = random.next() < 0.5 ? 'small' : 'large';
    const brightness = random.next() < 0.5 ? 'bright' : 'dark';
    const radius = size === 'small' ? uniform(0.05, 0.065) : uniform(0.1, 0.12);
    const host = organs[organ];
    // Keep the lesion inside its organ: its centre within the organ shrunk by the radius (plus a margin).
    const angle = uniform(0, 2 * Math.PI);
    const reach = Math.sqrt(random.next());
    const room = { x: Math.max(host.rx - radius - 0.02, 0), y: Math.max(host.ry - radius - 0.02, 0) };
    lesion = {
      organ,
      side: sides[organ],
      size,
      brightness,
      shape: { x: host.x + room.x * reach * Math.cos(angle), y: host.y + room.y * reach * Math.sin(angle), rx: radius, ry: radius * uniform(0.85, 1.15) },
    };
  }
  return { modality, body, organs, spine, lesion };
}
