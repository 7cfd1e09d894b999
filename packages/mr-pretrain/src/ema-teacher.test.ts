import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { expectTensorClose, useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microConfig } from './__fixtures__/micro.js';
import { EmaTeacher, teacherMomentumAt } from './ema-teacher.js';

describe('EmaTeacher', () => {
  beforeAll(() => useBackend('cpu'));

  it('momentum follows the cosine schedule from start to end', () => {
    const schedule = { start: 0.996, end: 1 };
    expect(teacherMomentumAt(0, 100, schedule)).toBeCloseTo(0.996, 12);
    expect(teacherMomentumAt(50, 100, schedule)).toBeCloseTo(0.998, 12);
    expect(teacherMomentumAt(100, 100, schedule)).toBe(1);
    expect(teacherMomentumAt(150, 100, schedule)).toBe(1);
    expect(teacherMomentumAt(25, 100, schedule)).toBeCloseTo(1 - (0.004 * (Math.cos(Math.PI / 4) + 1)) / 2, 12);
  });

  it('starts as a copy of the student encoders and follows t ← m·t + (1 − m)·s', () => {
    const student = new UmdModel(microConfig, new SeededRandom(0));
    const teacher = new EmaTeacher(student);
    const name = 'vision.blocks.0.attn.qkv.weight';
    const s = student.parameterMap().get(name)!;
    const t = teacher.model.parameterMap().get(name)!;
    expectTensorClose(t, s, { atol: 0 });
    // Fusion weights are not followed (the teacher never uses them).
    expect(teacher.followed).toBe(student.parameters().filter((p) => /^(vision|text)\./.test(p.name)).length);

    const before = Float32Array.from(t.dataSync());
    s.assign(tf.add(s, 1)); // the student moves
    const studentNow = s.dataSync();
    teacher.update(0.9);
    const expected = before.map((value, i) => 0.9 * value + 0.1 * studentNow[i]!);
    expectTensorClose(t, expected, { atol: 1e-6, rtol: 0 });
    teacher.dispose();
    student.dispose();
  });
});
