"""The live page's views and controls, one module per view (see :mod:`viz.app`)."""
