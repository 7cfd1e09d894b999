/**
 * @umd/mr-pretrain: Multi-level reconstruction pre-training: masking, L_MIM, L_MLM, L_ITM, the EMA teacher and L_FeaMIM/L_FeaMLM.
 *
 * Skeleton: the public API is filled in by issue #5. Named exports only (see STYLE.md b3).
 */
export {};
