#!/usr/bin/env sh
# Regenerate the README gallery: one GIF per preset, each made by exactly this command.
set -e
cd "$(dirname "$0")/.."
for preset in learning-rates optimizers batch-sizes local-minima saddle schedules warm-restarts \
        initialisation mini-batch-noise; do
    python sgd_viz.py --preset "$preset" --out "docs/$preset.gif" --quiet
done
python sgd_viz.py --preset momentum-phases --out docs/momentum-phases.png --quiet
