/** The status signals a strategy can read. */
export type SignalName = 'score' | 'gradientNorm' | 'loss';

/**
 * One modality's optimisation status for one update (a step, or an epoch: the coordinator does not care). Only the
 * field the configured strategy reads must be present; the others are ignored.
 */
export interface ModalitySignal {
  /**
   * OGM-GE's score (≥ 0, higher = better optimised): the sum over the batch of the softmax probability of the true
   * class under this modality's unimodal prediction. Read by `ogm-ge`. Batch-summed, so compare equal-sized batches.
   */
  readonly score?: number;
  /**
   * A magnitude of this modality's encoder gradients this step (≥ 0), measured before any modulation. Read by
   * `gradient-norm`. Use the RMS (‖g‖₂ / √n) when the encoders differ in size, as `gradientNormSignals` does.
   */
  readonly gradientNorm?: number;
  /**
   * This modality's unimodal loss (≥ 0, lower = better optimised), e.g. the mean cross-entropy of its unimodal
   * prediction. Read by `loss-descent` and `agm`.
   */
  readonly loss?: number;
}

/** Per-modality signals for one update, keyed by modality name. */
export type ModalitySignals = Readonly<Record<string, ModalitySignal>>;

/** What a strategy returns for one update, one entry per modality in the coordinator's order. */
export interface StrategyOutput {
  /** The strategy's discrepancy ratio per modality (> 1 = ahead of the others, for every built-in strategy). */
  readonly ratios: readonly number[];
  /** The coefficient per modality before the coordinator's warm-up/stop window and floor are applied. */
  readonly coefficients: readonly number[];
}

/**
 * How per-modality status becomes per-modality gradient coefficients. The built-in strategies are created from a
 * {@link StrategyConfig}; implement this interface for your own.
 */
export interface CoordinationStrategy {
  /** Shown in traces and errors. */
  readonly name: string;
  /** The {@link ModalitySignal} field this strategy reads. */
  readonly signal: SignalName;
  /** Whether active updates ask the adapter to add OGM-GE's Gaussian noise to the modulated gradients. */
  readonly noise: boolean;
  /**
   * @param status one value per modality, in the coordinator's order, after EMA smoothing. Called on every update
   *   (warm-up included), so strategies with history see the whole run.
   */
  compute(status: readonly number[]): StrategyOutput;
  /** Plain-JSON state for checkpoints (history-keeping strategies); omit for stateless ones. */
  state?(): unknown;
  /** Restores what `state()` returned. */
  restore?(state: unknown): void;
}

/** Fields every built-in strategy shares. */
interface StrategyConfigBase {
  /** Modulation strength α ≥ 0 (0 turns modulation off). */
  readonly alpha: number;
  /**
   * Ask the adapter to add Gaussian noise N(0, std(g)²) to every modulated gradient tensor while modulation is
   * active: OGM-GE's "generalisation enhancement". Default `true` for `ogm-ge` (set `false` for plain OGM), `false`
   * for the others.
   */
  readonly noise?: boolean;
}

/**
 * OGM-GE (Peng et al., CVPR 2022). Signal: `score`. ρ_m = s_m / mean_{j≠m} s_j;
 * k_m = 1 − tanh(α · relu(ρ_m − 1)). For two modalities this is OGM-GE's ρ = s_a / s_v: the leader is slowed and the
 * other gets k = 1. OGM-GE's experiments used α between 0.1 and 1.
 */
export interface OgmGeStrategyConfig extends StrategyConfigBase {
  readonly kind: 'ogm-ge';
}

/**
 * The same discrepancy rule read from gradient magnitudes. Signal: `gradientNorm`. ρ_m = g_m / mean_{j≠m} g_j;
 * k_m = 1 − tanh(α · relu(ρ_m − 1)). A modality the fusion head leans on receives larger gradients through it.
 */
export interface GradientNormStrategyConfig extends StrategyConfigBase {
  readonly kind: 'gradient-norm';
}

/**
 * The same rule read from how fast each unimodal loss falls. Signal: `loss`. With L̄ the (smoothed) loss,
 * d_m = max(0, (L̄_m(prev) − L̄_m(now)) / L̄_m(prev)) per update, ρ_m = (d_m + ε) / (mean_{j≠m} d_j + ε),
 * k_m = 1 − tanh(α · relu(ρ_m − 1)). The first update has no previous loss and returns k = 1.
 */
export interface LossDescentStrategyConfig extends StrategyConfigBase {
  readonly kind: 'loss-descent';
  /**
   * ε > 0, in units of relative loss decrease per update. Keeps ρ near 1 when every modality has stopped improving
   * (two tiny, noisy rates would otherwise make a huge ratio). Default 1e-3.
   */
  readonly epsilon?: number;
}

/**
 * AGM-style adaptive modulation (Li et al., ICCV 2023). Signal: `loss` (mean cross-entropy of each modality's
 * mono-modal response; AGM uses Shapley responses, see `shapleyLogits`). With u_m = −L_m and M modalities,
 * r_m = exp(M/(M−1) · (u_m − mean_j u_j)); η_m is the same ratio over the running means of all previous losses
 * (1 on the first update); k_m = exp(α · min(η_m − r_m, maxDeviation)). A modality pulling ahead of its own history
 * is slowed and one falling behind is boosted (k may exceed 1).
 */
export interface AgmStrategyConfig extends StrategyConfigBase {
  readonly kind: 'agm';
  /** Cap on η − r before it is multiplied by α, as AGM's code does. Default 7. */
  readonly maxDeviation?: number;
}

/** Picks a built-in strategy (a discriminated union on `kind`). */
export type StrategyConfig = OgmGeStrategyConfig | GradientNormStrategyConfig | LossDescentStrategyConfig | AgmStrategyConfig;

/** The coordinator's answer for one update. Plain data: log it, record it in a `CoefficientTrace`, pass it to the adapter. */
export interface Coordination {
  /** 0-based index of this update: unique and increasing, even when several updates share a `step`. Seeds GE noise. */
  readonly update: number;
  /** The step this update was made for (`options.step`, else the number of earlier updates). */
  readonly step: number;
  /** Whether `warmupSteps ≤ step < stopStep`. Outside the window every coefficient is 1 and `noise` is false. */
  readonly active: boolean;
  /** Whether the adapter should add GE noise to the modulated gradients this update. */
  readonly noise: boolean;
  /** Gradient coefficient k per modality (after the window and the floor). */
  readonly coefficients: Readonly<Record<string, number>>;
  /** The strategy's discrepancy ratio per modality (> 1 = ahead of the others). */
  readonly ratios: Readonly<Record<string, number>>;
  /** The signal each modality reported this update, before smoothing. */
  readonly signals: Readonly<Record<string, number>>;
  /** The smoothed status the strategy saw (equals `signals` when `emaDecay` is 0). */
  readonly status: Readonly<Record<string, number>>;
}
