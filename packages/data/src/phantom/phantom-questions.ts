import type { SeededRandom } from '@umd/core';

import type { AnswerType } from '../sample.js';
import { phantomOrgans, type PhantomScene } from './phantom-scene.js';

/** One question about a phantom image, with its answer (already normalised: lower case). */
export interface PhantomQuestion {
  readonly question: string;
  readonly answer: string;
  readonly answerType: AnswerType;
}

const modalityNames = { ct: 'CT', mri: 'MRI' } as const;

/**
 * The questions asked about a scene. Answers are balanced per question string, so the question alone does not give the
 * answer away: "Is there a lesion in the X?" asks about the lesion's organ 2/3 of the time when there is one, "Is
 * this a CT / an MRI scan?" picks the modality at random, and lesion questions are asked only when there is a lesion.
 */
export function phantomQuestions(scene: PhantomScene, random: SeededRandom): PhantomQuestion[] {
  const { lesion, modality } = scene;
  const others = phantomOrgans.filter((organ) => organ !== lesion?.organ);
  const asked = lesion && random.next() < 2 / 3 ? lesion.organ : others[random.integer(others.length)]!;
  const askedModality = random.next() < 0.5 ? 'ct' : 'mri';
  const questions: PhantomQuestion[] = [
    { question: `Is there a lesion in the ${asked}?`, answer: lesion?.organ === asked ? 'yes' : 'no', answerType: 'closed' },
    { question: 'Which organ contains the lesion?', answer: lesion?.organ ?? 'none', answerType: 'open' },
    { question: 'What is the modality?', answer: modality, answerType: 'open' },
    { question: `Is this ${askedModality === 'mri' ? 'an MRI' : 'a CT'} scan?`, answer: askedModality === modality ? 'yes' : 'no', answerType: 'closed' },
  ];
  if (lesion) {
    questions.push(
      { question: 'How large is the lesion?', answer: lesion.size, answerType: 'open' },
      { question: 'Is the lesion brighter than the surrounding tissue?', answer: lesion.brightness === 'bright' ? 'yes' : 'no', answerType: 'closed' },
    );
    if (lesion.side !== 'middle') {
      questions.push({ question: 'Which side of the body is the lesion on?', answer: lesion.side, answerType: 'open' });
    }
  }
  return questions;
}

/** A one-sentence caption that says the image is synthetic. */
export function phantomCaption(scene: PhantomScene): string {
  const start = `Synthetic phantom ${modalityNames[scene.modality]} scan of the lower chest and upper abdomen`;
  const { lesion } = scene;
  if (!lesion) return `${start} with no lesion.`;
  const where = lesion.side === 'middle' ? `in the ${lesion.organ}` : `in the ${lesion.organ} (patient's ${lesion.side} side)`;
  return `${start}: a ${lesion.size} ${lesion.brightness} lesion ${where}.`;
}
