#!/usr/bin/env python3
"""PyTorch reference benchmark: one MR-Pretrain step of the `tiny` or `small` UMD model, all five objectives
(mrPretrainPresets.full).

The same computation as `mrPretrainStep` in @umd/mr-pretrain (packages/mr-pretrain/bench/run.ts with the same
--preset, --config full and --batch), float32, CPU. Every dimension comes from PRESETS / MR_FULL below, copies of
encoderPresets (packages/encoders/src/presets.ts) and mrPretrainPresets.full (packages/mr-pretrain/src/
mr-pretrain-config.ts):
  - model: ViT (grey images of `image_size` px in 16 px patches, fixed 2-D sin-cos positions, pre-LN blocks, final
    LayerNorm), BERT-vocabulary text transformer (`max_positions` learned positions + token types, embedding
    LayerNorm, pre-LN blocks with key padding, final LayerNorm), co-attention fusion (input projections, modality
    embedding, `depth` layers of two streams: self-attention, cross-attention to the other stream's self-attended
    states, MLP; final LayerNorms), pooled [text CLS ; image CLS];
      tiny:  96 px (36 patches), width 96, 3+3 blocks, 4 heads, MLP 384, 32 text positions, 1 fusion layer;
      small: 160 px (100 patches), width 256, 6+6 blocks, 4 heads, MLP 1024, 64 text positions, 2 fusion layers;
  - plan, drawn each step: ITM pairing (half the batch sees another sample's image), 75% of patches removed (MAE),
    15% of words masked (80/10/10; every bench token is its own word);
  - EMA teacher (vision + text) on the unmasked inputs; student on the masked ones;
  - heads (the same for both presets): MAE decoder (width 64, 2 blocks, 4 heads, MLP 256, mask token, sin-cos
    positions, pixel projection) on the last fused image stream, MLM head tied to the word embeddings, ITM
    classifier, L_FeaMIM / L_FeaMLM projections;
  - losses: L_MIM (norm-pix MSE on removed patches) + L_MLM (cross-entropy) + L_ITM + L_FeaMIM + L_FeaMLM (smooth-L1,
    beta 1, to layer-normalised teacher features), all weights 1;
  - backward, AdamW (lr 1e-4, weight decay 0.01 on weights only), teacher EMA (momentum 0.996: the tfjs bench's
    cosine schedule, 0.996 -> 1 over 1,000 steps, stays within 1e-5 of it for the first 30 steps).
The text batch is built as the tfjs bench builds it: T = max_positions tokens, of which a random 0..T/2-1 at the end
are padding. Prints ONE JSON line on stdout (fields as block_train.py: ms_median, ms_p90, cpu_ms_median, other_load,
threads, torch).

  python3 mr_pretrain.py [--preset tiny|small] [--batch N] [--runs 10] [--threads N]

--batch defaults to the batch `pnpm --filter @umd/core bench --reference` uses for the preset (tiny 32, small 16).
Exits with code 3 (message on stderr) when torch cannot be imported.
"""
import argparse, json, math, os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from block_train import blas_threads, import_torch, time_ms  # noqa: E402  (shared timing helpers)

BERT_VOCABULARY = {"vocab": 30522, "type_vocab": 2}
# encoderPresets (packages/encoders/src/presets.ts). `positions`: the ViT's positionEmbedding; `eps`: LayerNorm epsilon.
PRESETS = {
    "tiny": {
        "vision": {"image_size": 96, "patch_size": 16, "channels": 1, "dim": 96, "depth": 3, "heads": 4, "mlp": 384,
                   "positions": "sincos", "eps": 1e-5},
        "text": {**BERT_VOCABULARY, "max_positions": 32, "dim": 96, "depth": 3, "heads": 4, "mlp": 384, "norm": "pre",
                 "eps": 1e-5},
        "fusion": {"dim": 96, "depth": 1, "heads": 4, "mlp": 384, "eps": 1e-5},
    },
    "small": {
        "vision": {"image_size": 160, "patch_size": 16, "channels": 1, "dim": 256, "depth": 6, "heads": 4, "mlp": 1024,
                   "positions": "sincos", "eps": 1e-5},
        "text": {**BERT_VOCABULARY, "max_positions": 64, "dim": 256, "depth": 6, "heads": 4, "mlp": 1024, "norm": "pre",
                 "eps": 1e-5},
        "fusion": {"dim": 256, "depth": 2, "heads": 4, "mlp": 1024, "eps": 1e-5},
    },
}
# mrPretrainPresets.full (packages/mr-pretrain/src/mr-pretrain-config.ts), the same for every encoder preset.
MR_FULL = {"decoder": {"dim": 64, "depth": 2, "heads": 4, "mlp": 256}, "image_mask_ratio": 0.75,
           "text_mask_ratio": 0.15, "feature_beta": 1.0, "momentum": 0.996, "lr": 1e-4, "weight_decay": 0.01}
# The batch the core bench runs each preset at (packages/core/bench/run.ts, mrPretrainBatch).
DEFAULT_BATCH = {"tiny": 32, "small": 16}
MASK_ID, SPECIAL = 103, [0, 100, 101, 102, 103]  # bert-base-uncased, as the tfjs bench passes them


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    p.add_argument("--batch", type=int, default=None, help="default: tiny 32, small 16")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--threads", type=int, default=None, help="default: torch's own default")
    return p.parse_args()


def round_half_up(x):  # JavaScript's Math.round for x >= 0 (Python's round() rounds halves to even)
    return int(math.floor(x + 0.5))


def main():
    a = parse_args()
    torch = import_torch("mr_pretrain.py", a.threads)
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)

    preset = PRESETS[a.preset]
    vis, txt, fus, dec = preset["vision"], preset["text"], preset["fusion"], MR_FULL["decoder"]
    if vis["positions"] != "sincos" or txt["norm"] != "pre":
        raise SystemExit(f"mr_pretrain.py: preset {a.preset} needs learned ViT positions or post-LN text, not modelled here")
    V, T = txt["vocab"], txt["max_positions"]
    IMG, P, C = vis["image_size"], vis["patch_size"], vis["channels"]
    DV, DT, D, DEC = vis["dim"], txt["dim"], fus["dim"], dec["dim"]
    GRID = IMG // P
    L = GRID * GRID
    LV = round_half_up(L * (1 - MR_FULL["image_mask_ratio"]))  # randomPatchMasking: Lv = round(L·(1 − ratio))

    def sincos(grid, dim):
        q = dim // 4
        omega = 1.0 / 10000 ** (torch.arange(q, dtype=torch.float64) / q)
        rows = torch.arange(grid, dtype=torch.float64).repeat_interleave(grid)[:, None] * omega
        cols = torch.arange(grid, dtype=torch.float64).repeat(grid)[:, None] * omega
        return torch.cat([rows.sin(), rows.cos(), cols.sin(), cols.cos()], 1).float()  # [grid², dim]

    class Attention(nn.Module):
        def __init__(self, dim, heads, cross=False):
            super().__init__()
            self.heads, self.cross = heads, cross
            if cross:
                self.q, self.kv = nn.Linear(dim, dim), nn.Linear(dim, 2 * dim)
            else:
                self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x, context=None, key_padding=None):  # key_padding [B, S]: 1 = real
            B, N, Dm = x.shape
            h, hd = self.heads, Dm // self.heads
            if self.cross:
                S = context.shape[1]
                q = self.q(x).view(B, N, h, hd).transpose(1, 2)
                k, v = self.kv(context).view(B, S, 2, h, hd).permute(2, 0, 3, 1, 4)
            else:
                q, k, v = self.qkv(x).view(B, N, 3, h, hd).permute(2, 0, 3, 1, 4)
            scores = q @ k.transpose(-2, -1) * hd ** -0.5
            if key_padding is not None:
                scores = scores + ((1 - key_padding) * -1e9)[:, None, None, :]
            return self.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(B, N, Dm))

    class Block(nn.Module):  # pre-LN, erf-GELU
        def __init__(self, dim, heads, mlp, eps=1e-5):
            super().__init__()
            self.norm1, self.attn, self.norm2 = nn.LayerNorm(dim, eps), Attention(dim, heads), nn.LayerNorm(dim, eps)
            self.fc1, self.fc2 = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

        def forward(self, x, key_padding=None):
            x = x + self.attn(self.norm1(x), key_padding=key_padding)
            return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))

    class Vision(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch = nn.Linear(P * P * C, DV)
            self.cls = nn.Parameter(torch.randn(1, 1, DV) * 0.02)
            self.register_buffer("pos", sincos(GRID, DV)[None])
            self.blocks = nn.ModuleList([Block(DV, vis["heads"], vis["mlp"], vis["eps"]) for _ in range(vis["depth"])])
            self.norm = nn.LayerNorm(DV, vis["eps"])

        def forward(self, images, visible=None):  # images [B, H, W, C]; visible [B, Lv]
            B = images.shape[0]
            x = self.patch(patchify(images)) + self.pos
            if visible is not None:
                x = torch.gather(x, 1, visible[:, :, None].expand(-1, -1, DV))
            h = torch.cat([self.cls.expand(B, -1, -1), x], 1)
            for block in self.blocks:
                h = block(h)
            return self.norm(h)

    class Text(nn.Module):
        def __init__(self):
            super().__init__()
            self.word, self.position = nn.Embedding(V, DT), nn.Embedding(T, DT)
            self.token_type = nn.Embedding(txt["type_vocab"], DT)
            self.emb_norm = nn.LayerNorm(DT, txt["eps"])
            self.blocks = nn.ModuleList([Block(DT, txt["heads"], txt["mlp"], txt["eps"]) for _ in range(txt["depth"])])
            self.norm = nn.LayerNorm(DT, txt["eps"])

        def forward(self, ids, mask):
            B = ids.shape[0]
            h = self.word(ids) + self.position(torch.arange(T))[None] + self.token_type(torch.zeros(B, T, dtype=torch.long))
            h = self.emb_norm(h)
            for block in self.blocks:
                h = block(h, mask)
            return self.norm(h)

    class Stream(nn.Module):
        def __init__(self):
            super().__init__()
            eps = fus["eps"]
            self.norm1, self.self_attn = nn.LayerNorm(D, eps), Attention(D, fus["heads"])
            self.norm2, self.context_norm = nn.LayerNorm(D, eps), nn.LayerNorm(D, eps)
            self.cross_attn = Attention(D, fus["heads"], cross=True)
            self.norm3, self.fc1, self.fc2 = nn.LayerNorm(D, eps), nn.Linear(D, fus["mlp"]), nn.Linear(fus["mlp"], D)

        def attend_self(self, x, mask):
            return x + self.self_attn(self.norm1(x), key_padding=mask)

        def attend_other(self, x, other, other_mask):
            x = x + self.cross_attn(self.norm2(x), context=self.context_norm(other), key_padding=other_mask)
            return x + self.fc2(F.gelu(self.fc1(self.norm3(x))))

    class CoAttentionLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.text, self.image = Stream(), Stream()

        def forward(self, t, i, text_mask):
            ts, is_ = self.text.attend_self(t, text_mask), self.image.attend_self(i, None)
            return self.text.attend_other(ts, is_, None), self.image.attend_other(is_, ts, text_mask)

    class Fusion(nn.Module):
        def __init__(self):
            super().__init__()
            self.text_in, self.image_in = nn.Linear(DT, D), nn.Linear(DV, D)
            self.modality = nn.Parameter(torch.randn(2, D) * 0.02)
            self.layers = nn.ModuleList([CoAttentionLayer() for _ in range(fus["depth"])])
            self.text_norm, self.image_norm = nn.LayerNorm(D, fus["eps"]), nn.LayerNorm(D, fus["eps"])

        def forward(self, text, image, text_mask):
            t = self.text_in(text) + self.modality[0]
            i = self.image_in(image) + self.modality[1]
            for layer in self.layers:
                t, i = layer(t, i, text_mask)
            t, i = self.text_norm(t), self.image_norm(i)
            return t, i, torch.cat([t[:, 0], i[:, 0]], 1)

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(D, DEC)
            self.mask_token = nn.Parameter(torch.randn(1, 1, DEC) * 0.02)
            self.blocks = nn.ModuleList([Block(DEC, dec["heads"], dec["mlp"]) for _ in range(dec["depth"])])
            self.norm, self.pred = nn.LayerNorm(DEC), nn.Linear(DEC, P * P * C)
            self.register_buffer("pos", sincos(GRID, DEC)[None])

        def forward(self, image, restore):  # image [B, 1 + Lv, D]; restore [B, L]
            B = image.shape[0]
            x = self.embed(image)
            shuffled = torch.cat([x[:, 1:], self.mask_token.expand(B, L - LV, -1)], 1)
            patches = torch.gather(shuffled, 1, restore[:, :, None].expand(-1, -1, DEC))
            h = torch.cat([x[:, :1], patches + self.pos], 1)
            for block in self.blocks:
                h = block(h)
            hidden = self.norm(h)[:, 1:]
            return hidden, self.pred(hidden)

    def patchify(images):  # [B, H, W, C] -> [B, L, P·P·C], as @umd/encoders' patchify
        B = images.shape[0]
        return images.reshape(B, GRID, P, GRID, P, C).permute(0, 1, 3, 2, 4, 5).reshape(B, L, P * P * C)

    def normalize(x, eps=1e-6):
        x = x - x.mean(-1, keepdim=True)
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.vision, self.text, self.fusion = Vision(), Text(), Fusion()

    model = Model()
    # Heads, as createMrPretraining builds them: MLM transform D → Dt and LayerNorm(Dt); ITM on [B, 2D];
    # L_FeaMIM D_dec → Dv; L_FeaMLM D → Dt.
    decoder, mlm_transform, mlm_norm = Decoder(), nn.Linear(D, DT), nn.LayerNorm(DT)
    mlm_bias = nn.Parameter(torch.zeros(V))
    itm, fea_mim, fea_mlm = nn.Linear(2 * D, 2), nn.Linear(DEC, DV), nn.Linear(D, DT)
    student = nn.ModuleList([model, decoder, mlm_transform, mlm_norm, itm, fea_mim, fea_mlm])
    teacher = Model()
    teacher.load_state_dict(model.state_dict())
    for p in teacher.parameters():
        p.requires_grad_(False)
    params = [mlm_bias] + list(student.parameters())
    decayed = [p for p in params if p.dim() >= 2 and p is not model.vision.cls and p is not model.fusion.modality
               and p is not decoder.mask_token and p is not model.text.position.weight and p is not model.text.token_type.weight]
    others = [p for p in params if all(p is not q for q in decayed)]
    opt = torch.optim.AdamW([{"params": decayed, "weight_decay": MR_FULL["weight_decay"]}, {"params": others, "weight_decay": 0.0}],
                            lr=MR_FULL["lr"])

    B = a.batch or DEFAULT_BATCH[a.preset]
    gen = torch.Generator().manual_seed(0)
    images = torch.randn(B, IMG, IMG, C, generator=gen)
    lengths = T - torch.randint(0, T // 2, (B,), generator=gen)
    positions = torch.arange(T)[None]
    attention = (positions < lengths[:, None]).float()
    token_ids = torch.randint(1000, 21000, (B, T), generator=gen)
    token_ids[:, 0] = 101
    token_ids[positions.expand(B, -1) == (lengths - 1)[:, None]] = 102
    token_ids = token_ids * attention.long()
    eligible = (attention > 0) & (positions > 0) & (positions < (lengths - 1)[:, None])

    def plan():
        source = torch.arange(B)
        mismatched = torch.randperm(B, generator=gen)[: round_half_up(B / 2)]
        source[mismatched] = (mismatched + 1 + torch.randint(0, B - 1, (len(mismatched),), generator=gen)) % B
        itm_labels = (source == torch.arange(B)).long()
        ids_shuffle = torch.rand(B, L, generator=gen).argsort(1)
        restore = ids_shuffle.argsort(1)
        removed = torch.ones(B, L)
        removed[:, :LV] = 0
        removed = torch.gather(removed, 1, restore)  # 1 = removed, raster order
        noise = torch.rand(B, T, generator=gen).masked_fill(~eligible, 2.0)
        # maskTokens: max(1, Math.round(ratio · words)) words per sample
        count = (eligible.sum(1).double() * MR_FULL["text_mask_ratio"] + 0.5).floor().clamp(min=1).long()
        chosen = noise.argsort(1).argsort(1) < count[:, None]
        roll = torch.rand(B, T, generator=gen)
        inputs = token_ids.clone()
        inputs[chosen & (roll < 0.8)] = MASK_ID
        swap = chosen & (roll >= 0.8) & (roll < 0.9)
        inputs[swap] = torch.randint(1000, V, (int(swap.sum()),), generator=gen)
        return source, itm_labels, ids_shuffle[:, :LV], restore, removed, inputs, chosen.reshape(-1).nonzero()[:, 0]

    beta = MR_FULL["feature_beta"]

    def step():
        source, itm_labels, visible, restore, removed, inputs, predicted = plan()
        seen = images[source]
        with torch.no_grad():
            t_patches = normalize(teacher.vision(seen)[:, 1:]).reshape(B * L, DV)[removed.reshape(-1) > 0]
            t_tokens = normalize(teacher.text(token_ids, attention)).reshape(B * T, DT)[predicted]
        vision = model.vision(seen, visible)
        text = model.text(inputs, attention)
        fused_text, fused_image, pooled = model.fusion(text, vision, attention)
        hidden, pred = decoder(fused_image, restore)
        target = patchify(seen)
        target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6).sqrt()
        l_mim = (((pred - target) ** 2).mean(-1) * removed).sum() / removed.sum()
        picked = fused_text.reshape(B * T, D)[predicted]
        logits = mlm_norm(F.gelu(mlm_transform(picked))) @ model.text.word.weight.t() + mlm_bias
        l_mlm = F.cross_entropy(logits, token_ids.reshape(-1)[predicted])
        l_itm = F.cross_entropy(itm(pooled), itm_labels)
        l_fea_mim = F.smooth_l1_loss(fea_mim(hidden.reshape(B * L, DEC)[removed.reshape(-1) > 0]), t_patches, beta=beta)
        l_fea_mlm = F.smooth_l1_loss(fea_mlm(picked), t_tokens, beta=beta)
        loss = l_mim + l_mlm + l_itm + l_fea_mim + l_fea_mlm
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            m = MR_FULL["momentum"]
            for part in ("vision", "text"):  # the teacher follows the encoders only
                for tp, sp in zip(getattr(teacher, part).parameters(), getattr(model, part).parameters()):
                    tp.mul_(m).add_(sp, alpha=1 - m)
        return loss

    ts, cpu, other = time_ms(step, a.runs)
    print(json.dumps({"workload": f"mr-pretrain-{a.preset}", "impl": "pytorch", "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
                      "blas_threads": blas_threads(), "preset": a.preset, "config": "full", "batch": B,
                      "parameters": sum(p.numel() for p in params),
                      "ms_median": round(statistics.median(ts), 3), "ms_p90": round(ts[math.ceil(0.9 * len(ts)) - 1], 3),
                      "cpu_ms_median": cpu, "runs": a.runs, "other_load": other}))


if __name__ == "__main__":
    main()
