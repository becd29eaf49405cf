"""Units shared by the whole model (DESIGN.md §2).

Money is in USD billions (``busd``), compute stock in H100-equivalents (``h100e``: a chip's
dense BF16 FLOP/s divided by the H100's 989 TFLOP/s), training compute in FLOP, time in
quarters.
"""

H100_DENSE_BF16_TFLOPS = 989.0
"""Dense BF16 TFLOP/s of one NVIDIA H100 SXM (NVIDIA H100 datasheet, 2022)."""

TRAINING_UTILISATION = 0.40
"""Model FLOP utilisation assumed for training runs (Epoch AI typical 30–50 %)."""

SECONDS_PER_QUARTER = 365.25 / 4 * 86_400
HOURS_PER_QUARTER = 365.25 / 4 * 24

FLOP_PER_H100E_QUARTER = H100_DENSE_BF16_TFLOPS * 1e12 * TRAINING_UTILISATION * SECONDS_PER_QUARTER
"""Training FLOP delivered by one H100e running for one quarter at 40 % utilisation (≈3.1e21)."""

USD_PER_BUSD = 1e9
