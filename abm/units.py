"""Units shared by the whole model (DESIGN.md §2).

Money is in USD billions (``busd``), compute stock in H100-equivalents (``h100e``: a chip's
dense BF16 FLOP/s divided by the H100's 989 TFLOP/s), training compute in FLOP, time in
quarters.
"""

H100_DENSE_BF16_TFLOPS = 989.0
"""Dense BF16 TFLOP/s of one NVIDIA H100 SXM (NVIDIA H100 datasheet, 2022)."""

TRAINING_UTILISATION = 0.38
"""Model FLOP utilisation of training runs on chips of the A100 generation and later: the median
of 35 runs >= 1e23 FLOP with a reported MFU (Epoch AI All ML Systems, Jun 2025; the ``current``
row of abm/data/training_utilisation.csv). The 2020 fleet ran lower (same table); the model's
fleet-wide figure is ``World.training_utilisation``."""

SECONDS_PER_QUARTER = 365.25 / 4 * 86_400
HOURS_PER_QUARTER = 365.25 / 4 * 24

FLOP_PER_H100E_QUARTER = H100_DENSE_BF16_TFLOPS * 1e12 * TRAINING_UTILISATION * SECONDS_PER_QUARTER
"""Training FLOP delivered by one H100e running for one quarter on current chips (≈3.0e21)."""

USD_PER_BUSD = 1e9
