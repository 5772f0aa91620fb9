"""Computer-vision explanations: Kernel SHAP over SLIC super-pixels, with heat maps.

Modules: :mod:`.segments` (scikit-image SLIC), :mod:`.masking` (coalitions as
masked images), :mod:`.detection` (object detection: matching by IoU),
:mod:`.explain` (one image: Kernel SHAP with the project's estimator),
:mod:`.heatmap` (blue/red heat maps), :mod:`.method` (the unit of the job).
Pillow lives in :mod:`openclarify.data.pixels`, listing in :mod:`openclarify.data.images`.
"""
