import { describe, expect, it } from 'vitest';

import { checkpointRecoveryLine } from './checkpoint-recovery-line.js';

describe('checkpointRecoveryLine', () => {
  it('names the checkpoint set aside, where it went and why', () => {
    const line = checkpointRecoveryLine('finetune', {
      type: 'checkpoint-set-aside',
      path: 'out/step-000040.safetensors',
      movedTo: 'out/step-000040.safetensors.damaged',
      reason: 'damaged',
    } as never);
    expect(line).toBe(
      '[finetune] set aside out/step-000040.safetensors as out/step-000040.safetensors.damaged: damaged; resuming from the newest usable checkpoint before it',
    );
  });

  it('lists removed temp files and says nothing for other events', () => {
    expect(checkpointRecoveryLine('pretrain', { type: 'temp-files-remove', paths: ['a', 'b'] } as never)).toMatch(/removed 2 temp file\(s\).*: a, b$/);
    expect(checkpointRecoveryLine('pretrain', { type: 'step-end' })).toBeUndefined();
  });
});
