"""screener: rule-based risk-factor screening for restless legs syndrome (Willis-Ekbom disease).

A screening aid for clinicians, never a diagnosis.
"""

__version__ = "0.1.0"
