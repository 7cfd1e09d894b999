#!/usr/bin/env python3
"""PyTorch reference benchmark: one MR-Pretrain step of the `tiny` UMD model, all five objectives (mrPretrainPresets.full).

The same computation as `mrPretrainStep` in @umd/mr-pretrain (packages/mr-pretrain/bench/run.ts), float32, CPU:
  - model = encoderPresets.tiny: ViT (96 px grey, 16 px patches, sin-cos positions, 3 pre-LN blocks of width 96, 4 heads,
    MLP 384), BERT-vocabulary text transformer (32 positions, 3 pre-LN blocks of 96, key padding), 1 co-attention fusion
    layer (two streams: self-attention, cross-attention to the other stream, MLP), pooled [text CLS ; image CLS];
  - plan, drawn each step: ITM pairing (half the batch sees another sample's image), 75% of patches removed (MAE),
    15% of words masked (80/10/10);
  - EMA teacher (vision + text) on the unmasked inputs; student on the masked ones;
  - heads: MAE decoder (width 64, 2 blocks, mask token, sin-cos positions, pixel projection), MLM head tied to the
    word embeddings, ITM classifier, L_FeaMIM / L_FeaMLM projections;
  - losses: L_MIM (norm-pix MSE on removed patches) + L_MLM (cross-entropy) + L_ITM + L_FeaMIM + L_FeaMLM (smooth-L1,
    beta 1, to layer-normalised teacher features);
  - backward, AdamW (lr 1e-4, weight decay 0.01 on weights only), teacher EMA.
Prints ONE JSON line on stdout (fields as block_train.py: ms_median, ms_p90, cpu_ms_median, other_load, threads).

  python3 mr_pretrain_tiny.py [--batch 32] [--runs 10] [--threads N]

Exits with code 3 (message on stderr) when torch cannot be imported.
"""
import argparse, json, math, os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from block_train import blas_threads, time_ms  # noqa: E402  (shared timing helpers)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--threads", type=int, default=None, help="default: torch's own default")
    return p.parse_args()


def main():
    a = parse_args()
    if a.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(a.threads)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch, torch.nn as nn, torch.nn.functional as F
    except Exception as e:
        print(f"mr_pretrain_tiny.py: torch is not importable ({e!r}); skipping PyTorch reference", file=sys.stderr)
        sys.exit(3)
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    V, T, IMG, P, C = 30522, 32, 96, 16, 1
    D, DEPTH, HEADS, MLP = 96, 3, 4, 384
    DEC, DEC_DEPTH, DEC_MLP = 64, 2, 256
    GRID = IMG // P
    L = GRID * GRID
    LV = round(L * 0.25)
    MASK_ID, SPECIAL = 103, [0, 100, 101, 102, 103]

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
        def __init__(self, dim, heads, mlp):
            super().__init__()
            self.norm1, self.attn, self.norm2 = nn.LayerNorm(dim), Attention(dim, heads), nn.LayerNorm(dim)
            self.fc1, self.fc2 = nn.Linear(dim, mlp), nn.Linear(mlp, dim)

        def forward(self, x, key_padding=None):
            x = x + self.attn(self.norm1(x), key_padding=key_padding)
            return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))

    class Vision(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch = nn.Linear(P * P * C, D)
            self.cls = nn.Parameter(torch.randn(1, 1, D) * 0.02)
            self.register_buffer("pos", sincos(GRID, D)[None])
            self.blocks = nn.ModuleList([Block(D, HEADS, MLP) for _ in range(DEPTH)])
            self.norm = nn.LayerNorm(D)

        def forward(self, images, visible=None):  # images [B, H, W, C]; visible [B, Lv]
            B = images.shape[0]
            x = self.patch(patchify(images)) + self.pos
            if visible is not None:
                x = torch.gather(x, 1, visible[:, :, None].expand(-1, -1, D))
            h = torch.cat([self.cls.expand(B, -1, -1), x], 1)
            for block in self.blocks:
                h = block(h)
            return self.norm(h)

    class Text(nn.Module):
        def __init__(self):
            super().__init__()
            self.word, self.position, self.token_type = nn.Embedding(V, D), nn.Embedding(T, D), nn.Embedding(2, D)
            self.emb_norm = nn.LayerNorm(D)
            self.blocks = nn.ModuleList([Block(D, HEADS, MLP) for _ in range(DEPTH)])
            self.norm = nn.LayerNorm(D)

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
            self.norm1, self.self_attn = nn.LayerNorm(D), Attention(D, HEADS)
            self.norm2, self.context_norm, self.cross_attn = nn.LayerNorm(D), nn.LayerNorm(D), Attention(D, HEADS, cross=True)
            self.norm3, self.fc1, self.fc2 = nn.LayerNorm(D), nn.Linear(D, MLP), nn.Linear(MLP, D)

        def attend_self(self, x, mask):
            return x + self.self_attn(self.norm1(x), key_padding=mask)

        def attend_other(self, x, other, other_mask):
            x = x + self.cross_attn(self.norm2(x), context=self.context_norm(other), key_padding=other_mask)
            return x + self.fc2(F.gelu(self.fc1(self.norm3(x))))

    class Fusion(nn.Module):
        def __init__(self):
            super().__init__()
            self.text_in, self.image_in = nn.Linear(D, D), nn.Linear(D, D)
            self.modality = nn.Parameter(torch.randn(2, D) * 0.02)
            self.text, self.image = Stream(), Stream()
            self.text_norm, self.image_norm = nn.LayerNorm(D), nn.LayerNorm(D)

        def forward(self, text, image, text_mask):
            t = self.text_in(text) + self.modality[0]
            i = self.image_in(image) + self.modality[1]
            ts, is_ = self.text.attend_self(t, text_mask), self.image.attend_self(i, None)
            t, i = self.text.attend_other(ts, is_, None), self.image.attend_other(is_, ts, text_mask)
            t, i = self.text_norm(t), self.image_norm(i)
            return t, i, torch.cat([t[:, 0], i[:, 0]], 1)

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(D, DEC)
            self.mask_token = nn.Parameter(torch.randn(1, 1, DEC) * 0.02)
            self.blocks = nn.ModuleList([Block(DEC, HEADS, DEC_MLP) for _ in range(DEC_DEPTH)])
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
    decoder, mlm_transform, mlm_norm = Decoder(), nn.Linear(D, D), nn.LayerNorm(D)
    mlm_bias = nn.Parameter(torch.zeros(V))
    itm, fea_mim, fea_mlm = nn.Linear(2 * D, 2), nn.Linear(DEC, D), nn.Linear(D, D)
    student = nn.ModuleList([model, decoder, mlm_transform, mlm_norm, itm, fea_mim, fea_mlm])
    teacher = Model()
    teacher.load_state_dict(model.state_dict())
    for p in teacher.parameters():
        p.requires_grad_(False)
    params = [mlm_bias] + list(student.parameters())
    decayed = [p for p in params if p.dim() >= 2 and p is not model.vision.cls and p is not model.fusion.modality
               and p is not decoder.mask_token and p is not model.text.position.weight and p is not model.text.token_type.weight]
    others = [p for p in params if all(p is not q for q in decayed)]
    opt = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": others, "weight_decay": 0.0}], lr=1e-4)

    B = a.batch
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
        mismatched = torch.randperm(B, generator=gen)[: round(B / 2)]
        source[mismatched] = (mismatched + 1 + torch.randint(0, B - 1, (len(mismatched),), generator=gen)) % B
        itm_labels = (source == torch.arange(B)).long()
        ids_shuffle = torch.rand(B, L, generator=gen).argsort(1)
        restore = ids_shuffle.argsort(1)
        removed = torch.ones(B, L)
        removed[:, :LV] = 0
        removed = torch.gather(removed, 1, restore)  # 1 = removed, raster order
        noise = torch.rand(B, T, generator=gen).masked_fill(~eligible, 2.0)
        count = (eligible.sum(1).float() * 0.15).round().clamp(min=1).long()
        chosen = noise.argsort(1).argsort(1) < count[:, None]
        roll = torch.rand(B, T, generator=gen)
        inputs = token_ids.clone()
        inputs[chosen & (roll < 0.8)] = MASK_ID
        swap = chosen & (roll >= 0.8) & (roll < 0.9)
        inputs[swap] = torch.randint(1000, V, (int(swap.sum()),), generator=gen)
        return source, itm_labels, ids_shuffle[:, :LV], restore, removed, inputs, chosen.reshape(-1).nonzero()[:, 0]

    def step():
        source, itm_labels, visible, restore, removed, inputs, predicted = plan()
        seen = images[source]
        with torch.no_grad():
            t_patches = normalize(teacher.vision(seen)[:, 1:]).reshape(B * L, D)[removed.reshape(-1) > 0]
            t_tokens = normalize(teacher.text(token_ids, attention)).reshape(B * T, D)[predicted]
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
        l_fea_mim = F.smooth_l1_loss(fea_mim(hidden.reshape(B * L, DEC)[removed.reshape(-1) > 0]), t_patches, beta=1.0)
        l_fea_mlm = F.smooth_l1_loss(fea_mlm(picked), t_tokens, beta=1.0)
        loss = l_mim + l_mlm + l_itm + l_fea_mim + l_fea_mlm
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            m = 0.996
            for part in ("vision", "text"):  # the teacher follows the encoders only
                for tp, sp in zip(getattr(teacher, part).parameters(), getattr(model, part).parameters()):
                    tp.mul_(m).add_(sp, alpha=1 - m)
        return loss

    ts, cpu, other = time_ms(step, a.runs)
    print(json.dumps({"workload": "mr-pretrain-tiny", "impl": "pytorch", "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
                      "blas_threads": blas_threads(), "preset": "tiny", "config": "full", "batch": B,
                      "parameters": sum(p.numel() for p in params),
                      "ms_median": round(statistics.median(ts), 3), "ms_p90": round(ts[math.ceil(0.9 * len(ts)) - 1], 3),
                      "cpu_ms_median": cpu, "runs": a.runs, "other_load": other}))


if __name__ == "__main__":
    main()
