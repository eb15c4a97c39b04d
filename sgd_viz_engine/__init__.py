"""The machinery behind sgd_viz.py: plan, simulation, scene, frames and output, one job a module."""
