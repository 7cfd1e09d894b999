import type { SeededRandom } from '@umd/core';

import { phantomOrgans, type Ellipse, type PhantomModality, type PhantomOrgan, type PhantomScene } from './phantom-scene.js';

/** Grey levels (0-255) per tissue and modality: CT-like (air dark, bone brightest) and T2-MRI-like (fat rim bright, bone dark). */
const contrast: Readonly<Record<PhantomModality, Readonly<Record<PhantomOrgan | 'body' | 'rim' | 'spine', number>>>> = {
  ct: { body: 100, rim: 70, 'left lung': 45, 'right lung': 45, heart: 135, liver: 150, spleen: 125, spine: 240 },
  mri: { body: 80, rim: 200, 'left lung': 40, 'right lung': 40, heart: 60, liver: 95, spleen: 165, spine: 35 },
};

/** Grey-level offset of a lesion against its organ. */
const lesionOffset = { bright: 80, dark: -45 } as const;

function inside(ellipse: Ellipse, x: number, y: number): boolean {
  const dx = (x - ellipse.x) / ellipse.rx;
  const dy = (y - ellipse.y) / ellipse.ry;
  return dx * dx + dy * dy <= 1;
}

/** The grey level of the organ a lesion sits in (for tests and for the lesion's own level). */
export function tissueLevel(modality: PhantomModality, tissue: PhantomOrgan | 'body' | 'rim' | 'spine'): number {
  return contrast[modality][tissue];
}

/**
 * Renders a scene as a size × size grey image ([H, W, 1] uint8, row-major): body with a rim, organs, spine and lesion
 * as filled ellipses, plus Gaussian noise (σ 4) and, for MRI, a smooth intensity bias across the image.
 */
export function renderPhantomScan(scene: PhantomScene, size: number, random: SeededRandom): Uint8Array {
  const levels = contrast[scene.modality];
  const pixels = new Uint8Array(size * size);
  const rim: Ellipse = { ...scene.body, rx: scene.body.rx - 0.05, ry: scene.body.ry - 0.05 };
  const lesion = scene.lesion;
  const lesionLevel = lesion ? Math.min(255, Math.max(0, levels[lesion.organ] + lesionOffset[lesion.brightness])) : 0;
  const biasAngle = random.next() * 2 * Math.PI;
  const bias = scene.modality === 'mri' ? 0.15 : 0;
  for (let row = 0; row < size; row++) {
    const y = ((row + 0.5) / size) * 2 - 1;
    for (let column = 0; column < size; column++) {
      const x = ((column + 0.5) / size) * 2 - 1;
      let level = 0;
      if (inside(scene.body, x, y)) {
        level = inside(rim, x, y) ? levels.body : levels.rim;
        for (const organ of phantomOrgans) if (inside(scene.organs[organ], x, y)) level = levels[organ];
        if (inside(scene.spine, x, y)) level = levels.spine;
        if (lesion && inside(lesion.shape, x, y)) level = lesionLevel;
        level *= 1 + bias * (x * Math.cos(biasAngle) + y * Math.sin(biasAngle)) * 0.5;
        level += 4 * random.normal();
      }
      pixels[row * size + column] = Math.min(255, Math.max(0, Math.round(level)));
    }
  }
  return pixels;
}
