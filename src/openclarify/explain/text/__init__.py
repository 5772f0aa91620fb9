"""Text (NLP) explanations: Kernel SHAP over tokens, sentences or paragraphs (contract §6.8).

:mod:`.units` splits texts with spaCy (the only module that imports it),
:mod:`.columns` finds the free-text columns, :mod:`.masking` rebuilds a text
with units absent, :mod:`.shap` runs the package's Kernel SHAP estimator over
the units, :mod:`.result` writes Clarify's outputs and :mod:`.method` is the
job's unit (``methods.shap.text_config``).
"""
