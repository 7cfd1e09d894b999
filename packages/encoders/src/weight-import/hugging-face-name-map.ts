import { InvalidConfigError } from '@umd/core';

import type { TextConfig } from '../text-transformer.js';
import type { VitConfig } from '../vision-transformer.js';

/** How source tensors (PyTorch layout) become one target parameter (tfjs layout). */
export type WeightTransform =
  /** Same shape, same values. */
  | { readonly kind: 'copy' }
  /** Same values, another shape of the same size (CLIP's class embedding [D] -> [1, 1, D]). */
  | { readonly kind: 'reshape' }
  /** `nn.Linear.weight` [out, in] -> [in, out]. */
  | { readonly kind: 'linear' }
  /** Separate q, k, v `nn.Linear.weight`s, each [D, D] -> one fused [D, 3D] (columns q | k | v). */
  | { readonly kind: 'fused-linear' }
  /** Separate q, k, v biases, each [D] -> [3D]. */
  | { readonly kind: 'fused-bias' }
  /** A stride-P `nn.Conv2d.weight` [D, C, P, P] -> the patch embedding [P·P·C, D] in patchify's (row, column, channel) order. */
  | { readonly kind: 'conv-patch'; readonly patchSize: number; readonly channels: number };

/** One target parameter, the source tensors it is made from, and how. */
export interface NameMapEntry {
  /** Hierarchical parameter name in the UMD model (`vision.blocks.0.attn.qkv.weight`). */
  readonly target: string;
  /** Tensor names in the Hugging Face file, prefix included. */
  readonly sources: readonly string[];
  readonly transform: WeightTransform;
}

/** A name map plus the source names that are known and deliberately not used. */
export interface NameMap {
  /** The prefix every mapped source name starts with (`vision_model.`, `bert.`, `roberta.` or ``). */
  readonly sourcePrefix: string;
  readonly entries: readonly NameMapEntry[];
  /** Source names (after the prefix) that are ignored without complaint. */
  readonly ignored: readonly RegExp[];
}

const copy = { kind: 'copy' } as const;
const linear = { kind: 'linear' } as const;

function linearPair(target: string, source: string): NameMapEntry[] {
  return [
    { target: `${target}.weight`, sources: [`${source}.weight`], transform: linear },
    { target: `${target}.bias`, sources: [`${source}.bias`], transform: copy },
  ];
}

function normPair(target: string, source: string): NameMapEntry[] {
  return [
    { target: `${target}.weight`, sources: [`${source}.weight`], transform: copy },
    { target: `${target}.bias`, sources: [`${source}.bias`], transform: copy },
  ];
}

function fusedQkv(target: string, sources: readonly [string, string, string]): NameMapEntry[] {
  return [
    { target: `${target}.weight`, sources: sources.map((name) => `${name}.weight`), transform: { kind: 'fused-linear' } },
    { target: `${target}.bias`, sources: sources.map((name) => `${name}.bias`), transform: { kind: 'fused-bias' } },
  ];
}

/**
 * The Hugging Face `CLIPVisionModel` / `CLIPModel` vision tower (`vision_model.…`) -> `vision.…` of a ViT built with
 * the CLIP layout (`patchBias: false`, `preNorm: true`, learned positions, `quick-gelu`; see `encoderPresets.base`).
 */
export function clipVisionNameMap(config: VitConfig, sourcePrefix = 'vision_model.'): NameMap {
  if (config.positionEmbedding !== 'learned' || !config.preNorm || config.patchBias !== false) {
    throw new InvalidConfigError(
      'vision',
      { positionEmbedding: config.positionEmbedding, preNorm: config.preNorm, patchBias: config.patchBias },
      "the CLIP layout: positionEmbedding 'learned', preNorm true, patchBias false (encoderPresets.base.vision)",
    );
  }
  const p = sourcePrefix;
  const entries: NameMapEntry[] = [
    {
      target: 'vision.patchEmbed.weight',
      sources: [`${p}embeddings.patch_embedding.weight`],
      transform: { kind: 'conv-patch', patchSize: config.patchSize, channels: config.channels },
    },
    { target: 'vision.clsToken', sources: [`${p}embeddings.class_embedding`], transform: { kind: 'reshape' } },
    { target: 'vision.positionEmbedding', sources: [`${p}embeddings.position_embedding.weight`], transform: copy },
    ...normPair('vision.preNorm', `${p}pre_layrnorm`),
  ];
  for (let i = 0; i < config.depth; i++) {
    const source = `${p}encoder.layers.${i}`;
    const target = `vision.blocks.${i}`;
    entries.push(
      ...normPair(`${target}.norm1`, `${source}.layer_norm1`),
      ...fusedQkv(`${target}.attn.qkv`, [`${source}.self_attn.q_proj`, `${source}.self_attn.k_proj`, `${source}.self_attn.v_proj`]),
      ...linearPair(`${target}.attn.proj`, `${source}.self_attn.out_proj`),
      ...normPair(`${target}.norm2`, `${source}.layer_norm2`),
      ...linearPair(`${target}.mlp.fc1`, `${source}.mlp.fc1`),
      ...linearPair(`${target}.mlp.fc2`, `${source}.mlp.fc2`),
    );
  }
  entries.push(...normPair('vision.norm', `${p}post_layernorm`));
  return { sourcePrefix: p, entries, ignored: [/^embeddings\.position_ids$/] };
}

/**
 * A Hugging Face `BertModel`/`RobertaModel` (`bert.…`, `roberta.…`, or unprefixed) -> `text.…` of a post-LN text
 * encoder with the same geometry (see `encoderPresets.base` and `baseRoberta`). The pooler is not used.
 */
export function bertNameMap(config: TextConfig, sourcePrefix: string): NameMap {
  if (config.normPlacement !== 'post') {
    throw new InvalidConfigError('text.normPlacement', config.normPlacement ?? 'pre', "'post' (BERT/RoBERTa weights only make sense in post-LN blocks)");
  }
  const p = sourcePrefix;
  const entries: NameMapEntry[] = [
    { target: 'text.embeddings.word.weight', sources: [`${p}embeddings.word_embeddings.weight`], transform: copy },
    { target: 'text.embeddings.position.weight', sources: [`${p}embeddings.position_embeddings.weight`], transform: copy },
    { target: 'text.embeddings.type.weight', sources: [`${p}embeddings.token_type_embeddings.weight`], transform: copy },
    ...normPair('text.embeddings.norm', `${p}embeddings.LayerNorm`),
  ];
  for (let i = 0; i < config.depth; i++) {
    const source = `${p}encoder.layer.${i}`;
    const target = `text.blocks.${i}`;
    entries.push(
      ...fusedQkv(`${target}.attn.qkv`, [`${source}.attention.self.query`, `${source}.attention.self.key`, `${source}.attention.self.value`]),
      ...linearPair(`${target}.attn.proj`, `${source}.attention.output.dense`),
      ...normPair(`${target}.norm1`, `${source}.attention.output.LayerNorm`),
      ...linearPair(`${target}.mlp.fc1`, `${source}.intermediate.dense`),
      ...linearPair(`${target}.mlp.fc2`, `${source}.output.dense`),
      ...normPair(`${target}.norm2`, `${source}.output.LayerNorm`),
    );
  }
  // Pre-training heads (`cls.…`, `lm_head.…`) and the pooler are not part of the encoder.
  return { sourcePrefix: p, entries, ignored: [/^pooler\./, /^embeddings\.position_ids$/, /^cls\./, /^lm_head\./] };
}
